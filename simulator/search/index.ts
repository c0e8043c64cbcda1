// A fake Elasticsearch / OpenSearch cluster for the exporter's tests: `startSearch(options)`
// gives a real HTTP server that answers like ES 8/9, OpenSearch 2/3 or Amazon OpenSearch
// Serverless would, errors, status codes, headers and body shapes included.

export type {
  AwsAuth,
  SearchFault,
  SearchOptions,
  SearchProduct,
} from "./options.ts";
export { SearchFake, type SearchRequest, startSearch } from "./server.ts";
