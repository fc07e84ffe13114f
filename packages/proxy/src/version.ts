/** The version `GET /version` answers (this package's). */
export const VERSION = '0.1.0';
