import { inbox } from '../../client/inbox';
import { HttpError, type Route } from '../route';

/** What waits on the caller: the dashboard's default tab and `warden inbox` over HTTP. */
export const inboxRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/v1/inbox',
    summary:
      "What waits on the token's principal: reviews to vote on or open, proposals to approve, endorsements to steer, with deadlines",
    async handler(ctx, req) {
      if (!req.principal) throw new HttpError(401, 'authentication required');
      return inbox(ctx, req.principal.name);
    },
  },
];
