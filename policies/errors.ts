/**
 * Invalid policy specification or parameter. Errors whose `code` is `ERR_KVTIER_INPUT` are the
 * user's to fix, and the CLI exits with status 2 on them.
 */
export class PolicyError extends Error {
  readonly code = 'ERR_KVTIER_INPUT';

  constructor(message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}
