import {
  abpHistory,
  abpList,
  dashboardStamp,
  dashboardView,
  endorsementPanels,
  proposalPanels,
  temporalLinks,
} from '../../client/dashboard';
import { dashboardFile } from '../dashboard-files';
import type { Route } from '../route';

/**
 * The governance dashboard: its files (public: the page holds no data until signed in) and the
 * read-only list and aggregate answers it draws from. Every action it offers goes through the
 * loops' own routes, so the same role checks refuse it.
 */
export const dashboardRoutes: Route[] = [
  {
    method: 'GET',
    path: '/',
    public: true,
    summary: 'The governance dashboard',
    handler: () => dashboardFile('index.html'),
  },
  {
    method: 'GET',
    path: '/dashboard',
    public: true,
    summary: 'The governance dashboard',
    handler: () => dashboardFile('index.html'),
  },
  // Browsers ask for /favicon.ico whatever the page links: the same icon, as SVG.
  {
    method: 'GET',
    path: '/favicon.ico',
    public: true,
    summary: "The dashboard's icon",
    handler: () => dashboardFile('favicon.svg'),
  },
  {
    method: 'GET',
    path: '/dashboard/:file',
    public: true,
    summary: "The dashboard's scripts and styles",
    handler: (_ctx, req) => dashboardFile(req.params.file!),
  },
  {
    method: 'GET',
    path: '/api/v1/dashboard',
    summary:
      'Everything the dashboard shows: ABPs with trigger cards, reviews and history; endorsements; proposals; provenance',
    handler: (ctx) => dashboardView(ctx),
  },
  {
    method: 'GET',
    path: '/api/v1/dashboard/stamp',
    summary: 'A value that changes whenever anything the dashboard shows changes (cheap; polled for live updates)',
    handler: async (ctx) => ({ stamp: await dashboardStamp(ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v1/temporal',
    summary: 'Temporal Web UI base, namespace and workflow list address',
    handler: async (ctx) => temporalLinks(ctx),
  },
  {
    method: 'GET',
    path: '/api/v1/abps',
    summary: 'Every ABP scope with its current version and status',
    handler: async (ctx) => ({ abps: await abpList(ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v1/abps/:id/history',
    summary: 'ABP versions, newest first, with hashes and export gate results',
    handler: (ctx, req) => abpHistory(ctx, req.params.id!),
  },
  {
    method: 'GET',
    path: '/api/v1/endorsements',
    summary: 'Open endorsements and the recently closed ones, with samples, divergence series and time left',
    handler: async (ctx) => ({ endorsements: await endorsementPanels(ctx) }),
  },
  {
    method: 'GET',
    path: '/api/v1/guard/proposals',
    summary: "Recent guard-loop proposals with decision, gates, approval and the policy's approver role",
    handler: async (ctx) => ({ proposals: await proposalPanels(ctx) }),
  },
];
