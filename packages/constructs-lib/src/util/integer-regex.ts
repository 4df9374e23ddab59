/**
 * A regular expression matching exactly the decimal integers greater than `n` (no sign, no leading zeros: an HTTP
 * Content-Length as clients send it), for an AWS WAF RegexMatchStatement. It uses only what AWS WAF's regex engine
 * accepts (anchors, alternation, character classes, small counted repetition; no groups — WAF rejects capturing
 * subexpressions —, no \d, no lookarounds, which WAF supports only in part: https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html),
 * as top-level alternatives: longer numbers, then for each digit position the numbers that share the prefix of `n`
 * and are larger there (at most one alternative per digit of `n`, so 9 for 10 MB).
 *
 * Leading zeros: a value such as `010485761` does not match (it is no integer as a client writes it); such a request
 * passes the WAF and NGINX's own limit refuses it.
 */
export function integerGreaterThanRegex(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`integerGreaterThanRegex: ${n} is not a non-negative safe integer`);
  const digits = String(n);
  const len = digits.length;
  const alternatives = [`^[1-9][0-9]{${len},}$`];
  for (let i = 0; i < len; i++) {
    const d = Number(digits[i]);
    if (d === 9) continue;
    const cls = d === 8 ? '9' : `[${d + 1}-9]`;
    const rest = len - i - 1;
    alternatives.push(`^${digits.slice(0, i)}${cls}${rest ? (rest === 1 ? '[0-9]' : `[0-9]{${rest}}`) : ''}$`);
  }
  return alternatives.join('|');
}

/** Bytes of an NGINX size (`client_max_body_size` syntax: a number with an optional k or m suffix, 1024-based). */
export function nginxSizeBytes(size: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(size.trim());
  if (!m) throw new Error(`'${size}' is not an NGINX size (digits with an optional k, m or g suffix)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

/** AWS WAF's limit on a RegexMatchStatement's RegexString (https://docs.aws.amazon.com/waf/latest/APIReference/API_RegexMatchStatement.html). */
export const WAF_REGEX_MAX_LENGTH = 512;

/**
 * AWS WAF's documented bounds the edge rules rely on, used by the web ACL and by verify (waf-limits):
 * rate-based rules (waf-rule-statement-type-rate-based-high-level-settings.html) and the managed common rule set's
 * body size rule, SizeRestrictions_BODY, which blocks bodies over 8 KB (aws-managed-rule-groups-baseline.html).
 */
export const WAF_RATE_LIMIT = { minLimit: 10, windowsSec: [60, 120, 300, 600] } as const;
export const WAF_MANAGED_BODY_LIMIT_BYTES = 8192;
