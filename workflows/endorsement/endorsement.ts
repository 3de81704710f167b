import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import {
  abortUpdate,
  awaitRegistrationUpdate,
  decideUpdate,
  endorsementStateQuery,
  extendUpdate,
  promoteUpdate,
  registrationUpdate,
  shadowSamplesPendingSignal,
  type EndorsementView,
  type EndorsementWorkflowInput,
} from './messages';
import { EndorsementMachine } from './endorsement-machine';

/**
 * One endorsement from conflict to outcome: registration (conflict detection), the operator's
 * decision (expiring after the decision timeout), and, when staged, the cooldown on a durable
 * timer, fed by shadow samples the live chat path queues in PostgreSQL. Texts never enter the
 * history: activities read them by id. The state machine is EndorsementMachine; this wires its
 * handlers and waits for its main line.
 */
export async function endorsementWorkflow(input: EndorsementWorkflowInput): Promise<EndorsementView> {
  const endorsement = new EndorsementMachine(input);
  setHandler(endorsementStateQuery, () => endorsement.view);
  setHandler(shadowSamplesPendingSignal, () => endorsement.samplesPending());
  setHandler(registrationUpdate, () => endorsement.registration());
  setHandler(awaitRegistrationUpdate, () => endorsement.registered());
  setHandler(decideUpdate, (arg) => endorsement.decide(arg), { validator: (arg) => endorsement.validateDecision(arg) });
  setHandler(promoteUpdate, (arg) => endorsement.operatorCommand('promote', arg), {
    validator: (arg) => endorsement.validateOperatorCommand('promote', arg),
  });
  setHandler(abortUpdate, (arg) => endorsement.operatorCommand('abort', arg), {
    validator: (arg) => endorsement.validateOperatorCommand('abort', arg),
  });
  setHandler(extendUpdate, (arg) => endorsement.operatorCommand('extend', arg), {
    validator: (arg) => endorsement.validateOperatorCommand('extend', arg),
  });

  await endorsement.run();
  await condition(allHandlersFinished);
  return endorsement.view;
}
