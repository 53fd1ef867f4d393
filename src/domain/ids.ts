/**
 * The shape of every id (policies, events, regions), apart from the zod schemas so that flag
 * parsers and lock keys check ids without loading zod.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
