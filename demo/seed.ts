import type { WardenContext } from '../client/context';
import { seedDelegationDemo } from './delegation';
import { endorsementDemoSeeder } from './endorsement';
import { seedGuardDemo } from './guard';

/**
 * Demo data for a first start on an empty database: each loop contributes a seeder that creates its
 * demo objects only when they are absent, and returns what it created.
 */
const seeders: ((ctx: WardenContext) => Promise<string[]>)[] = [
  endorsementDemoSeeder,
  seedDelegationDemo,
  seedGuardDemo,
];

export async function seedDemoData(ctx: WardenContext): Promise<string[]> {
  const created: string[] = [];
  for (const seed of seeders) created.push(...(await seed(ctx)));
  return created;
}
