-- A degradation (a failing degrade post_action validator, or its clearing) changes what an action
-- check decides: it bumps the structural change stamp, so a verdict decided from a cached ABP
-- before it is not recorded (the check runs again on a fresh read of the facts).
DROP TRIGGER IF EXISTS abp_agent_degradations_fact_stamp ON abp_agent_degradations;
CREATE TRIGGER abp_agent_degradations_fact_stamp AFTER INSERT OR UPDATE OR DELETE ON abp_agent_degradations
  FOR EACH STATEMENT EXECUTE FUNCTION abp_fact_stamp_structure();
