// Which buttons a principal sees. The server decides again on every request; these only keep
// people from being offered what their roles cannot do. Everyone signed in sees every panel.
export function permissions(principal) {
  const roles = new Set(principal.roles);
  const admin = roles.has('admin');
  const holds = (role) => admin || roles.has(role);
  return {
    name: principal.name,
    admin,
    /** Review votes and opening a queued review: the ABP review policy's approver role. */
    voteOnReview: (review) => holds(review.policy.approver_role),
    /** The guard policy's approver role, never the proposer (the seed's two-person rule). */
    approveProposal: (p) => holds(p.approver_role) && p.proposer !== principal.name,
    releaseProposal: (p) => holds(p.approver_role),
    /** The agent's operator role (default operator), exactly: the server grants admins nothing more here. */
    steerEndorsement: (e) => roles.has(e.settings?.operatorRole ?? 'operator'),
  };
}
