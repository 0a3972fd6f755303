// Connects to `pyro mcp serve` with the official TypeScript SDK over stdio, lists
// the tools and calls vm_run. Env: PYRO_CLI (the binary), PYRO_ENVIRONMENT
// (default busybox). Exit 0: ok; 77: the environment is not installed; else failed.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const cli = process.env.PYRO_CLI;
const environment = process.env.PYRO_ENVIRONMENT || "busybox";
if (!cli) {
  console.error("PYRO_CLI is not set");
  process.exit(2);
}

function fail(message) {
  console.error(`check failed: ${message}`);
  process.exit(1);
}

const transport = new StdioClientTransport({
  command: cli,
  args: ["mcp", "serve", "--profile", "workspace-core"],
  env: process.env,
  stderr: "inherit",
});
const client = new Client({ name: "pyro-npm-check", version: "0.0.0" });
await client.connect(transport);

const version = client.getServerVersion();
if (version?.name !== "pyro") fail(`serverInfo.name is ${version?.name}`);

const { tools } = await client.listTools();
const names = tools.map((t) => t.name);
console.log(`tools: ${names.join(", ")}`);
for (const expected of ["vm_run", "list_environments", "workspace_create"]) {
  if (!names.includes(expected)) fail(`tool ${expected} is missing`);
}

const envs = await client.callTool({ name: "list_environments", arguments: {} });
const installed = envs.structuredContent?.items?.find((e) => e.name === environment)?.installed;
if (!installed) {
  console.log(`environment ${environment} is not installed`);
  await client.close();
  process.exit(77);
}

// The SDK validates structuredContent against the tool's outputSchema itself.
const result = await client.callTool({
  name: "vm_run",
  arguments: { environment, command: "echo hi from npm" },
});
if (result.isError) fail(`vm_run failed: ${JSON.stringify(result.structuredContent)}`);
if (result.structuredContent.stdout !== "hi from npm\n") fail(`stdout ${JSON.stringify(result.structuredContent.stdout)}`);
if (JSON.parse(result.content[0].text).exit_code !== 0) fail("text content disagrees");

const bad = await client.callTool({ name: "vm_run", arguments: { environment } });
if (!bad.isError || bad.structuredContent?.error?.code !== "invalid_argument") {
  fail(`missing command gave ${JSON.stringify(bad)}`);
}

console.log("vm_run ok");
await client.close();
