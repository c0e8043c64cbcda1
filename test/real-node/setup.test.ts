// setup, setup --dry-run and check against a real OpenSearch node (scripts/search-node): our
// component and index templates are accepted as they are (flat_object, the ECS types), the data
// stream is made by the first write, a second setup changes nothing, and a cluster without the
// Index State Management plugin (OpenSearch's minimal distribution, and this node) gets its
// templates with a note that nothing rolls over or is deleted, instead of failing.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCli } from "../helpers/cli.ts";
import { countOf, node, searchNodeUrl, uniqueTarget } from "../helpers/search-node.ts";
import { world } from "../helpers/world.ts";

const setupName = (target: string) =>
  `auth0-logs-to-logstash-${(/^logs-(.+)-default$/.exec(target) as RegExpExecArray)[1]}`;

async function ismInstalled(): Promise<boolean> {
  const answer = await node("GET", "/_plugins/_ism/policies");
  return answer.status !== 400;
}

describe("setup on a real OpenSearch", () => {
  for (const format of ["ecs", "extension", "log-streams"] as const) {
    it(`installs templates the node accepts for ${format} documents; the first write makes the data stream; again changes nothing`, async (t) => {
      const cluster = await searchNodeUrl();
      const target = uniqueTarget(`setup${format.replace("-", "")}`);
      const name = setupName(target);
      const w = await world(t, {
        tenant: { backlog: 30 },
        cluster,
        env: {
          ELASTICSEARCH_INDEX: target,
          DOCUMENT_FORMAT: format,
          ELASTICSEARCH_RETENTION: "30d",
        },
      });
      const dry = await runCli(["setup", "--dry-run"], w.env, w.dir);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /^OpenSearch 2\.\d+\.\d+ at http:\/\/127\.0\.0\.1:\d+\//);
      assert.match(dry.stdout, new RegExp(`component template +${name}-mappings +missing`));
      assert.match(dry.stdout, new RegExp(`index template +${name} +missing`));
      assert.equal((await node("GET", `/_index_template/${name}`)).status, 404, "dry: nothing");

      const setup = await runCli(["setup"], w.env, w.dir);
      assert.equal(setup.code, 0, setup.stdout + setup.stderr);
      assert.match(setup.stdout, new RegExp(`component template +${name}-mappings +installed`));
      assert.match(setup.stdout, new RegExp(`component template +${name}-settings +installed`));
      assert.match(setup.stdout, new RegExp(`index template +${name} +installed`));
      const installed = await node("GET", `/_index_template/${name}`);
      const template = (
        installed.json.index_templates as { index_template: Record<string, unknown> }[]
      )[0]?.index_template as { index_patterns: string[]; _meta: { hash: string } };
      assert.deepEqual(template.index_patterns, [target.replace(/-default$/, "-*")]);
      assert.match(template._meta.hash, /^[0-9a-f]{16}$/);
      if (await ismInstalled()) {
        assert.match(setup.stdout, new RegExp(`ISM policy +${name} +installed`));
      } else {
        assert.match(setup.stdout, new RegExp(`ISM policy +${name} +unavailable`));
        assert.match(
          setup.stdout,
          /Note: .*no Index State Management plugin.*ELASTICSEARCH_RETENTION \(30 days\) is not applied/,
        );
      }

      const once = await w.once();
      assert.equal(once.code, 0, once.stderr);
      assert.equal(await countOf(target), w.tenant.log.size);
      const stream = await node("GET", `/_data_stream/${target}`);
      assert.equal(stream.status, 200);
      const [made] = stream.json.data_streams as { template: string; indices: unknown[] }[];
      assert.equal(made?.template, name, "made from our template by the first write");

      const again = await runCli(["setup"], w.env, w.dir);
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stdout, /installed|updated|rolled over/);
      const check = await runCli(["check"], w.env, w.dir);
      assert.equal(check.code, 0, check.stdout + check.stderr);
      const ism = await ismInstalled();
      const lifecycle = ism
        ? "and lifecycle installed"
        : "installed, no lifecycle policy \\(no ISM plugin\\)";
      assert.match(
        check.stdout,
        new RegExp(
          `ok {4}Elasticsearch \\(OpenSearch 2\\.\\d+\\.\\d+ at .*${target} \\(a data stream\\); index template ${lifecycle}\\)`,
        ),
      );
      if (!ism) assert.match(check.stdout, /WARN {2}Elasticsearch: .*no Index State Management/);
    });
  }

  it("check before setup names what is missing; a changed retention updates the policy only", async (t) => {
    const cluster = await searchNodeUrl();
    const target = uniqueTarget("check");
    const w = await world(t, { cluster, env: { ELASTICSEARCH_INDEX: target } });
    const check = await runCli(["check"], { ...w.env, ELASTICSEARCH_SETUP: "off" }, w.dir);
    assert.match(
      check.stdout,
      /component template .*: missing.*run setup \(ELASTICSEARCH_SETUP=off\)/,
    );
    assert.equal((await runCli(["setup"], w.env, w.dir)).code, 0);
    const changed = await runCli(["setup"], { ...w.env, ELASTICSEARCH_RETENTION: "7d" }, w.dir);
    assert.equal(changed.code, 0, changed.stderr);
    assert.doesNotMatch(changed.stdout, /template.*(installed|updated)/);
  });
});
