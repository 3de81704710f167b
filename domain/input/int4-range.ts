/** PostgreSQL `integer` (int4): counts, versions, attempts and day numbers are stored or bound as one. */
export const INT4_MAX = 2_147_483_647;
