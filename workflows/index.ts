// Every Warden workflow, as bundled for the worker; each loop adds one export line.
export * from './delegation';
export * from './guard/proposal';
export * from './endorsement/endorsement';
export * from './notifications/delivery';
export * from './provenance';
