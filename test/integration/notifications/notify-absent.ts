// Stands in for workflows/notify.ts in a bundle of the loops as they were before notifications:
// it issues no command, so histories recorded with it have no patch marker and no child.
export const NOTIFY_PATCH = 'warden-notify-v1';
export async function notify(): Promise<void> {}
