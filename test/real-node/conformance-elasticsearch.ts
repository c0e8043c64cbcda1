// Conformance cases for Elasticsearch only (its test distribution: security on, flattened, no
// GET /, no data stream API, no ILM): what flattened takes, and _has_privileges.

import { at, bulk, type Case, creates, deep, streamTemplate } from "./conformance-steps.ts";

export const ELASTICSEARCH_CASES: Case[] = [
  {
    name: "flattened: its parameters, and a parameter it does not take",
    only: "elasticsearch",
    steps: [
      {
        method: "PUT",
        path: "/_component_template/{p}-a",
        body: {
          template: {
            mappings: {
              properties: { x: { type: "flattened", depth_limit: 1000, ignore_above: 8191 } },
            },
          },
        },
      },
      {
        method: "PUT",
        path: "/_component_template/{p}-b",
        body: { template: { mappings: { properties: { x: { type: "flattened", nope: 1 } } } } },
      },
    ],
  },
  {
    name: "flattened: objects only; ignore_above keeps a long leaf out of the index, not the document",
    only: "elasticsearch",
    given: [
      streamTemplate({
        dynamic: false,
        properties: {
          "@timestamp": { type: "date" },
          flat: { type: "flattened", depth_limit: 1000, ignore_above: 8191 },
          shallow: { type: "flattened" },
        },
      }),
    ],
    steps: [
      bulk(
        creates(
          ["h1", at({ flat: "a string" })],
          ["h2", at({ flat: true })],
          ["h3", at({ flat: 42 })],
          ["h4", at({ flat: [] })],
          ["h5", at({ flat: null })],
          ["h6", at({ flat: [{ a: 1 }, { b: "x" }] })],
          ["h7", at({ flat: ["x", { a: 1 }] })],
          ["h8", at({ flat: { a: { b: `é${"x".repeat(40_000)}` } } })],
          ["h9", at({ flat: { a: [["x", "y"], [1]], b: null, c: true, d: 1.5 } })],
          ["h10", at({ shallow: deep(25) })],
          ["h11", at({ flat: deep(25) })],
        ),
      ),
    ],
  },
  {
    name: "_has_privileges: what a writer and an admin may do",
    only: "elasticsearch",
    steps: [
      {
        method: "POST",
        path: "/_security/user/_has_privileges",
        body: {
          cluster: ["manage_index_templates", "manage_ilm"],
          index: [{ names: ["{ds}"], privileges: ["create_doc", "auto_configure"] }],
        },
      },
    ],
  },
  {
    name: "_has_privileges: a writer",
    only: "elasticsearch",
    user: "a2l-writer",
    steps: [
      {
        method: "POST",
        path: "/_security/user/_has_privileges",
        body: {
          cluster: ["manage_index_templates", "manage_ilm"],
          index: [{ names: ["{ds}"], privileges: ["create_doc", "auto_configure"] }],
        },
      },
    ],
  },
];
