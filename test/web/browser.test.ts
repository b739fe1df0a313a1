// The sign-up flow in Debian's Chromium, with and without JavaScript, at phone and desktop widths.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { artifactsDir, launchBrowser, type TestBrowser } from "../support/browser.ts";
import { registerUser } from "../support/homeserver.ts";
import { startTestService, type TestService } from "../support/service.ts";
import { startSmtpSink, type SmtpSink } from "../support/smtp-sink.ts";
import { findLink } from "../support/web-client.ts";

const synapse = inject("synapse");
let browser: TestBrowser;
let service: TestService;
let sink: SmtpSink;

beforeAll(async () => {
  sink = await startSmtpSink();
  service = await startTestService({
    config: {
      homeserver: { url: synapse.url, serverName: synapse.serverName, adminToken: synapse.adminToken },
      mail: { smtp: sink.smtpConfig() },
      registration: { legal: [{ title: "House rules", url: "https://example.org/rules" }] },
    },
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await sink?.stop();
});

async function stateOf(localpart: string) {
  const row = await service.deps.database.db
    .selectFrom("registration_request")
    .select("state")
    .where("localpart", "=", localpart)
    .executeTakeFirst();
  return row?.state;
}

describe("with JavaScript", () => {
  it("shows the live username check, submits, and confirms from the emailed link", async () => {
    const taken = await registerUser(synapse);
    const context = await browser.context({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(service.url);
    await page.screenshot({ path: join(artifactsDir, "signup-1280.png"), fullPage: true });

    const live = page.locator("#f-username-live");
    await page.fill("#f-username", taken.localpart);
    await expect.poll(() => live.textContent(), { timeout: 10_000 }).toBe("This username is already taken.");
    const username = `chromium-${randomBytes(3).toString("hex")}`;
    await page.fill("#f-username", username);
    await expect.poll(() => live.textContent(), { timeout: 10_000 }).toBe("This username is available.");

    const email = `${username}@example.org`;
    await page.fill("#f-email", email);
    await page.fill("#f-first_name", "Grace");
    await page.fill("#f-last_name", "Hopper");
    await page.fill("#f-note", "Compilers, mostly.");
    await page.check("#f-legal-0");
    await page.screenshot({ path: join(artifactsDir, "signup-filled-1280.png"), fullPage: true });
    await page.click("button[type=submit]");
    await page.waitForURL(`${service.url}/check-email`);
    expect(await page.textContent("h1")).toBe("Check your email");

    const mail = await sink.waitFor((m) => m.to.includes(email));
    await page.goto(findLink(mail.text, `${service.url}/verify/`));
    expect(await stateOf(username)).toBe("unverified");
    await page.click("button[type=submit]");
    await page.waitForURL(/\/status\//);
    expect(await page.textContent(".state")).toContain("Waiting for review");
    expect(await stateOf(username)).toBe("pending");
    expect(errors).toEqual([]);
    await context.close();
  });

  it("lays the form out for a 375 px phone and keeps it keyboard usable", async () => {
    const context = await browser.context({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await context.newPage();
    await page.goto(service.url);
    await page.screenshot({ path: join(artifactsDir, "signup-375.png"), fullPage: true });
    // Nothing wider than the screen.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    // The first Tab reaches the skip link, the next ones the form fields in order.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("skip");
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      order.push(await page.evaluate(() => document.activeElement?.id ?? ""));
    }
    expect(order).toEqual(
      expect.arrayContaining(["f-username", "f-email", "f-first_name", "f-last_name", "f-note", "f-legal-0"]),
    );
    expect(order.indexOf("f-username")).toBeLessThan(order.indexOf("f-email"));
    // Errors land in an alert the keyboard focus moves to.
    await page.goto(service.url);
    await page.click("button[type=submit]");
    await page.waitForSelector("#form-errors");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("form-errors");
    await page.screenshot({ path: join(artifactsDir, "signup-errors-375.png"), fullPage: true });
    await context.close();
  });

  it("renders in dark mode too", async () => {
    const context = await browser.context({ viewport: { width: 1280, height: 900 }, colorScheme: "dark" });
    const page = await context.newPage();
    await page.goto(service.url);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(18, 20, 22)");
    await page.screenshot({ path: join(artifactsDir, "signup-dark-1280.png"), fullPage: true });
    await context.close();
  });
});

describe("without JavaScript", () => {
  it("checks the username on submit, keeps what was typed, and completes the same flow", async () => {
    const taken = await registerUser(synapse);
    const context = await browser.context({
      viewport: { width: 375, height: 812 },
      javaScriptEnabled: false,
    });
    const page = await context.newPage();
    await page.goto(`${service.url}/?lang=de`);
    await page.fill("#f-username", taken.localpart);
    const username = `nojs-${randomBytes(3).toString("hex")}`;
    const email = `${username}@example.org`;
    await page.fill("#f-email", email);
    await page.fill("#f-first_name", "Kurt");
    await page.fill("#f-note", "Ohne JavaScript.");
    await page.check("#f-legal-0");
    await page.click("button[type=submit]");
    expect(await page.textContent("#f-username-error")).toBe("Dieser Benutzername ist bereits vergeben.");
    expect(await page.inputValue("#f-email")).toBe(email);
    await page.fill("#f-username", username);
    await page.click("button[type=submit]");
    await page.waitForURL(`${service.url}/check-email`);

    const mail = await sink.waitFor((m) => m.to.includes(email));
    expect(mail.subject).toBe("Bitte bestätige deine E-Mail-Adresse");
    await page.goto(findLink(mail.text, `${service.url}/verify/`));
    await page.click("button[type=submit]");
    await page.waitForURL(/\/status\//);
    expect(await page.textContent(".state")).toContain("Wartet auf Prüfung");
    expect(await stateOf(username)).toBe("pending");
    await page.screenshot({ path: join(artifactsDir, "status-nojs-375.png"), fullPage: true });
    await context.close();
  });
});
