// Which buttons a principal sees. The server decides again on every request; these only keep
// people from being offered what their roles cannot do, so each mirrors the server's rule exactly
// (SECURITY.md, "Who may change what"). Everyone signed in sees every panel.
export function permissions(principal) {
  const roles = new Set(principal.roles);
  const admin = roles.has('admin');
  const orAdmin = (role) => admin || roles.has(role);
  return {
    name: principal.name,
    admin,
    /** Review votes (approve, dismiss): the ABP review policy's approver role, exactly; admin adds nothing. */
    voteOnReview: (review) => roles.has(review.policy.approver_role),
    /** Opening a queued review: the review policy's approver role, or admin. */
    openReview: (review) => orAdmin(review.policy.approver_role),
    /** The guard policy's approver role, exactly, never the proposer (the seed's two-person rule). */
    approveProposal: (p) => roles.has(p.approver_role) && p.proposer !== principal.name,
    releaseProposal: (p) => orAdmin(p.approver_role),
    /** The agent's operator role (default operator), exactly: the server grants admins nothing more here. */
    steerEndorsement: (e) => roles.has(e.settings?.operatorRole ?? 'operator'),
  };
}
