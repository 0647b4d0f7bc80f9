// The user pool's password policy (DescribeUserPool's Policies.PasswordPolicy),
// checked before a password is sent so that every unmet rule is shown at once.
// Cognito checks it again and refuses with InvalidPasswordException; the
// pages show that message too (cognito-local does not check the policy).

// What Cognito counts as a symbol; a space inside the password counts too.
const SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-";

function rules(policy) {
  const list = [
    {
      wanted: `at least ${policy.MinimumLength ?? 8} characters`,
      met: (p) => p.length >= (policy.MinimumLength ?? 8),
    },
  ];
  if (policy.RequireUppercase) list.push({ wanted: "an upper-case letter", met: (p) => /[A-Z]/.test(p) });
  if (policy.RequireLowercase) list.push({ wanted: "a lower-case letter", met: (p) => /[a-z]/.test(p) });
  if (policy.RequireNumbers) list.push({ wanted: "a number", met: (p) => /[0-9]/.test(p) });
  if (policy.RequireSymbols) {
    list.push({
      wanted: "a symbol such as ! - _ or #",
      met: (p) => [...p].some((c) => SYMBOLS.includes(c)) || / /.test(p.trim()),
    });
  }
  return list;
}

/** The policy in words, for the hint under a new-password field. */
export function describePolicy(policy) {
  return `The pool's password policy: ${rules(policy).map((rule) => rule.wanted).join(", ")}.`;
}

/** What `password` lacks under `policy`: one phrase per unmet rule, none when it complies. */
export function unmetRules(policy, password) {
  return rules(policy)
    .filter((rule) => !rule.met(password))
    .map((rule) => rule.wanted);
}
