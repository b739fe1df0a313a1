// Validates real responses against internal/openapi.json (JSON Schema 2020-12 inside OpenAPI 3.1), with ajv.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";

const document = JSON.parse(
  readFileSync(resolve(import.meta.dirname, "../../internal/openapi.json"), "utf8"),
) as {
  paths: Record<
    string,
    { $ref?: string; post?: { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } }
  >;
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema(document, "openapi.json");

const pointer = (path: string) => path.replace(/~/g, "~0").replace(/\//g, "~1");

/** Throws with the schema errors unless `body` is what the contract promises for this path and status. */
export function assertMatchesContract(path: string, status: number, body: unknown): void {
  let item = document.paths[path];
  if (!item) throw new Error(`internal/openapi.json has no path ${path}`);
  let itemPath = path;
  if (item.$ref) {
    itemPath = decodeURIComponent(item.$ref.replace("#/paths/", "")).replace(/~1/g, "/").replace(/~0/g, "~");
    item = document.paths[itemPath]!;
  }
  if (!item.post?.responses[String(status)])
    throw new Error(`internal/openapi.json has no ${status} response for ${path}`);
  const validate = ajv.getSchema(
    `openapi.json#/paths/${pointer(itemPath)}/post/responses/${status}/content/application~1json/schema`,
  );
  if (!validate) throw new Error(`no schema for ${path} ${status}`);
  if (!validate(body))
    throw new Error(
      `${path} ${status} does not match the contract: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
    );
}
