/** The local default team, in both stores: requests with the pairing token (token.ts) act as it. */
import { LOCAL_TEAM_ID } from '../token.js';

/** Id and name of the local default team. */
export const DEFAULT_TEAM = { id: LOCAL_TEAM_ID, name: 'local' } as const;
