// Loads compiled modules and prints, one JSON line each, what they build:
//   tsx    -> the element tree the component returns (a stand-in jsx runtime records it)
//   divkit -> JSON.stringify(card), i.e. exactly what the builder would send
// usage: node harness.cjs manifest.json   (manifest: [{"module": "/abs/x.js", "kind": "tsx"}])
"use strict";
const Module = require("module");
const fs = require("fs");

const element = (type, props, key) => ({ $el: true, type, props: props || {}, key });
const runtime = { jsx: element, jsxs: element, Fragment: "Fragment" };
const load = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === "react/jsx-runtime" || request === "react/jsx-dev-runtime") return runtime;
  if (request === "react") return { Fragment: "Fragment" };
  return load.apply(this, arguments);
};

function serialize(node) {
  if (node === null || node === undefined || typeof node === "boolean") return [];
  if (typeof node === "string" || typeof node === "number") return [String(node)];
  if (Array.isArray(node)) return node.flatMap(serialize);
  if (node.$el) {
    if (typeof node.type === "function") return serialize(node.type(node.props));
    const { children, style, ...attrs } = node.props;
    return [{ tag: node.type, attrs, style: style || null, children: serialize(children) }];
  }
  throw new Error("not a React node: " + JSON.stringify(node).slice(0, 200));
}

const manifest = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
for (const entry of manifest) {
  let line;
  try {
    const mod = require(entry.module);
    const value = entry.kind === "tsx" ? serialize(mod.default())[0] : JSON.parse(JSON.stringify(mod.card));
    line = { module: entry.module, ok: true, value };
  } catch (err) {
    line = { module: entry.module, ok: false, error: String(err && err.stack || err) };
  }
  process.stdout.write(JSON.stringify(line) + "\n");
}
