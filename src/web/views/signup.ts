// The sign-up form. It keeps what was typed when something is wrong, ties each error to its field, and works
// without JavaScript (the live username check and password meter are enhancements from /static/app.js).
import { html } from "hono/html";
import type { FieldProblem } from "../messages/site.ts";
import { csrfInput, errorSummary, field, layout, type Html, type PageContext } from "./layout.ts";

export interface SignupValues {
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  note: string;
  accept_legal: string[];
}

export type SignupErrors = Partial<
  Record<keyof SignupValues | "password" | "password_confirm" | "form", FieldProblem>
>;

export interface SignupFormOptions {
  serverName: string;
  usernameMin: number;
  usernameMax: number;
  requireReason: boolean;
  collectPassword: boolean;
  passwordMin: number;
  legal: readonly { title: string; url: string }[];
  /** Where the form posts (the invite page posts elsewhere). */
  action?: string;
  /** Extra hidden inputs (e.g. an invite token). */
  hidden?: Record<string, string>;
  title?: string;
  intro?: string;
}

export const emptySignup: SignupValues = {
  username: "",
  email: "",
  first_name: "",
  last_name: "",
  note: "",
  accept_legal: [],
};

export function signupPage(
  page: PageContext,
  options: SignupFormOptions,
  values: SignupValues,
  errors: SignupErrors,
): Html {
  const t = page.t;
  const problem = (key: keyof SignupErrors) => {
    const p = errors[key];
    return p ? t.problems[p] : undefined;
  };
  const opt = <T extends object>(value: string | undefined, build: (v: string) => T): T | object =>
    value === undefined ? {} : build(value);
  const hasErrors = Object.keys(errors).length > 0;
  const form = html`${errorSummary(page, hasErrors)}
    ${errors.form ? html`<p class="error" role="alert">${t.problems[errors.form]}</p>` : ""}
    <p>${options.intro ?? t.formIntro}</p>
    <form method="post" action="${options.action ?? "/register"}" novalidate class="signup">
      ${csrfInput(page)}
      ${Object.entries(options.hidden ?? {}).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
      ${field({
        name: "username",
        label: t.username,
        value: values.username,
        hint: t.usernameHint(options.serverName, options.usernameMin, options.usernameMax),
        required: true,
        autocomplete: "username",
        maxlength: 255,
        live: true,
        data: { "username-check": "/api/username/", checking: t.checking, available: t.available },
        ...opt(problem("username"), (error) => ({ error })),
      })}
      ${field({ name: "email", label: t.email, type: "email", value: values.email, hint: t.emailHint, required: true, autocomplete: "email", maxlength: 254, ...opt(problem("email"), (error) => ({ error })) })}
      <div class="row">
        ${field({ name: "first_name", label: t.firstName, value: values.first_name, required: true, autocomplete: "given-name", maxlength: 100, ...opt(problem("first_name"), (error) => ({ error })) })}
        ${field({ name: "last_name", label: t.lastName, value: values.last_name, autocomplete: "family-name", maxlength: 100, ...opt(problem("last_name"), (error) => ({ error })) })}
      </div>
      ${field({
        name: "note",
        label: options.requireReason ? t.note : `${t.note} ${t.noteOptional}`,
        value: values.note,
        hint: t.noteHint,
        required: options.requireReason,
        multiline: true,
        maxlength: 2000,
        ...opt(problem("note"), (error) => ({ error })),
      })}
      ${
        options.collectPassword
          ? html`${field({
              name: "password",
              label: t.password,
              type: "password",
              hint: t.passwordHint(options.passwordMin),
              required: true,
              autocomplete: "new-password",
              maxlength: 512,
              live: true,
              data: {
                "strength-meter": "",
                "strength-label": t.passwordStrength,
                strengths: t.strength.join("|"),
              },
              ...opt(problem("password"), (error) => ({ error })),
            })}
            ${field({ name: "password_confirm", label: t.passwordConfirm, type: "password", required: true, autocomplete: "new-password", maxlength: 512, ...opt(problem("password_confirm"), (error) => ({ error })) })}`
          : ""
      }
      ${options.legal.map((doc, index) => {
        const id = `f-legal-${index}`;
        const checked = values.accept_legal.includes(String(index));
        const error = errors.accept_legal && !checked ? t.problems[errors.accept_legal] : undefined;
        const aria = error ? html` aria-invalid="true" aria-describedby="${id}-error"` : "";
        return html`<div class="field check${error ? " invalid" : ""}">
<input type="checkbox" id="${id}" name="accept_legal" value="${index}"${checked ? html` checked` : ""}${aria}>
<label for="${id}">${t.acceptLegal("")}<a href="${doc.url}" rel="noopener" target="_blank">${doc.title}</a></label>
${error ? html`<p class="error" id="${id}-error">${error}</p>` : ""}
</div>`;
      })}
      <div class="hp" aria-hidden="true">
        <label for="f-website">${t.honeypotLabel}</label>
        <input type="text" id="f-website" name="website" tabindex="-1" autocomplete="off" value="" />
      </div>
      <p><button type="submit">${t.submit}</button></p>
    </form>`;
  return layout(page, options.title ?? t.formTitle, form);
}
