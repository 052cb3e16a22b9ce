/** The version of Hoard's cryptographic format (wrapped keys, attributes, content context). */
export const FORMAT_VERSION = 1;
