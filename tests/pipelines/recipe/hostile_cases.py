"""Classes of bad input a hostile (or careless) user can feed `pipe validate` / `pipe run`.

Each case: an id, how to write the recipe folder, extra CLI args and environment, and the text
the error must contain. test_hostile_recipes.py runs them; run this module to print how every
case ends (exit code + first line) through the real `pipe` executable:

    .venv/bin/python -m tests.pipelines.recipe.hostile_cases
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

BASE = """\
name: hostile
params:
  N: {type: int, default: 4}
  K: {type: int, default: 2}
  T: {type: int, default: 3}
  temp: {type: float, default: 1.0}
dataset:
  source: inline
  items: [{id: a, question: "1+1", answer: "2"}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.N}
    temperature: ${params.temp}
  steps:
    kind: repeat
    times: ${params.T - 1}
    init: ${solve.output}
    output: aggregate
    body:
      groups: {kind: groups, from: "${prev}", count: "${params.N}", size: "${params.K}"}
      aggregate:
        kind: llm
        map: ${groups.output}
        prompt: agg.j2
        vars: {question: "${item.question}", candidates: "${each}"}
  answer: {kind: vote, from: "${steps.output}", extract: none, equivalence: exact}
outputs:
  answer: ${answer.output.answer}
"""
FILES = {"solve.j2": "Solve {{ question }}",
         "agg.j2": "{{ question }}{% for c in candidates %} {{ c }}{% endfor %}"}
SOLVE_END = "    temperature: ${params.temp}\n"
ANSWER = '  answer: {kind: vote, from: "${steps.output}", extract: none, equivalence: exact}\n'


@dataclass
class Case:
    id: str
    expect: str
    """Text the error output must contain."""
    text: str | bytes = BASE
    files: dict[str, str] = field(default_factory=lambda: dict(FILES))
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Path], None] | None = None
    """Extra work on the folder (symlinks)."""

    def write(self, folder: Path) -> Path:
        for name, body in self.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(body)
        recipe = folder / "recipe.yaml"
        recipe.write_bytes(self.text if isinstance(self.text, bytes) else self.text.encode())
        if self.setup:
            self.setup(folder)
        return recipe


def solve(extra: str) -> str:
    """BASE with `extra` lines added to the solve node."""
    return BASE.replace(SOLVE_END, SOLVE_END + extra)


def node(extra: str) -> str:
    """BASE with another top-level node (YAML text at node indentation) before `answer`."""
    return BASE.replace(ANSWER, extra + ANSWER)


def _bomb() -> str:
    text = "name: bomb\nx0: &x0 [1, 1, 1, 1, 1, 1, 1, 1, 1]\n"
    for i in range(1, 9):
        text += f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 9) + "]\n"
    return BASE.replace("name: hostile\n", "") + text.replace("name: bomb\n", "anchors:\n  ")


def _symlink(target: str, link: str) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        outside = folder.parent / f"outside-{folder.name}"
        outside.mkdir(exist_ok=True)
        (outside / target).write_text("SECRET {{ question }}")
        (folder / link).unlink(missing_ok=True)
        (folder / link).symlink_to(outside / target)
    return make


def _jsonl(rows: str) -> str:
    return BASE.replace("  source: inline\n  items: [{id: a, question: \"1+1\", answer: \"2\"}]\n",
                        "  source: data.jsonl\n")


CASES: list[Case] = [
    # static constraints
    Case("group_size_over_population", "size 5 is larger than the population of 4", args=("-p", "K=5")),
    Case("samples_zero", "greater than or equal to 1", args=("-p", "N=0")),
    Case("samples_billion", "PIPE_MAX_FANOUT", args=("-p", "N=1000000000")),
    Case("repeat_billion_times", "PIPE_MAX_NODES", args=("-p", "T=1000000000")),
    Case("repeat_ten_thousand_times", "PIPE_MAX_NODES", args=("-p", "T=10000")),
    Case("repeat_negative_times", "repeat times must be an integer >= 0", args=("-p", "T=-5")),
    Case("repeat_times_text", "repeat times must be an integer >= 0",
         BASE.replace("times: ${params.T - 1}", "times: many")),
    Case("calls_per_item", "PIPE_MAX_CALLS_PER_ITEM", args=("-p", "N=1000", "-p", "T=20")),
    Case("temperature_nan", "finite number", args=("-p", "temp=nan")),
    Case("temperature_inf_literal", "finite number",
         BASE.replace("temperature: ${params.temp}", "temperature: .inf")),
    Case("temperature_out_of_range", "less than or equal to 2", args=("-p", "temp=5")),
    Case("top_p_zero", "greater than 0", solve("    top_p: 0\n")),
    Case("max_tokens_zero", "greater than or equal to 1", solve("    max_tokens: 0\n")),
    Case("max_tokens_huge", "less than or equal to 1048576", solve("    max_tokens: 1000000000000\n")),
    Case("seed_huge", "less than or equal to", solve("    seed: 100000000000000000000000\n")),
    Case("n_not_integer", "valid integer", BASE.replace("n: ${params.N}", "n: many")),
    Case("response_format_unknown", "response_format type 'xml'", solve("    response_format: {type: xml}\n")),
    Case("response_format_unenforceable", "properties.zip: 'pattern' is not supported by constrained decoding",
         solve("    response_format: {type: json_schema, json_schema: {name: a, schema: {type: object, "
               "properties: {zip: {type: string, pattern: '^[0-9]{5}$'}}}}}\n")),
    # params
    Case("param_wrong_type", "param N must be int, got 'lots'", args=("-p", "N=lots")),
    Case("param_unknown_override", "unknown param 'Z'", args=("-p", "Z=1")),
    Case("param_override_malformed", "bad -p value 'N'", args=("-p", "N")),
    Case("param_no_default", "param 'N' has no default and no value",
         BASE.replace("N: {type: int, default: 4}", "N: {type: int}")),
    Case("param_bad_default", "change its default to an int",
         BASE.replace("N: {type: int, default: 4}", "N: {type: int, default: eight}")),
    Case("param_default_not_a_choice", "is not one of [1, 2]",
         BASE.replace("K: {type: int, default: 2}", "K: {type: int, default: 3, choices: [1, 2]}")),
    Case("param_unknown_type", "Input should be 'int'",
         BASE.replace("N: {type: int, default: 4}", "N: {type: integer, default: 4}")),
    Case("param_unknown_in_expression", "unknown param 'M'", BASE.replace("n: ${params.N}", "n: ${params.M}")),
    Case("param_json_too_deep", "param extra must be list",
         BASE.replace("  temp:", "  extra: {type: list, default: []}\n  temp:"),
         args=("-p", "extra=" + "[" * 5000 + "]" * 5000)),
    # resource limits of the file
    Case("file_too_big", "PIPE_MAX_RECIPE_BYTES", BASE + "#" + "x" * (9 * 1024 * 1024) + "\n"),
    Case("alias_bomb", "PIPE_MAX_YAML_NODES", _bomb()),
    Case("nesting_too_deep", "PIPE_MAX_YAML_DEPTH", BASE + "deep: " + "[" * 100 + "]" * 100 + "\n"),
    Case("bad_limit_override", "PIPE_MAX_NODES='lots' is not valid", env={"PIPE_MAX_NODES": "lots"}),
    # file format
    Case("duplicate_top_key", "duplicate key 'name' (first at line 1)", BASE + "name: again\n"),
    Case("duplicate_node_name", "duplicate key 'solve'", node("  solve: {kind: value, value: 1}\n")),
    Case("not_utf8", "the file is not UTF-8 text", BASE.encode() + b"description: \xff\xfe\n"),
    Case("two_documents", "more than one YAML document", BASE + "---\nname: second\n"),
    Case("yaml_syntax", "YAML syntax error", BASE.replace("n: ${params.N}", "n: [${params.N}")),
    Case("not_a_mapping", "a recipe must be a YAML mapping", "- just\n- a list\n"),
    Case("empty_file", "a recipe must be a YAML mapping", ""),
    Case("unknown_top_key", "unknown key 'colour'", BASE + "colour: blue\n"),
    Case("missing_name", "missing required field 'name'", BASE.replace("name: hostile\n", "")),
    Case("missing_nodes", "missing required field 'nodes'", BASE[: BASE.index("nodes:")]),
    Case("empty_nodes", "the recipe has no nodes",
         BASE[: BASE.index("nodes:")] + "nodes: {}\n"),
    # expressions
    Case("unclosed_expr_dynamic", "unclosed '${'", BASE.replace('"${item.question}"}\n    n:', '"${item.question"}\n    n:')),
    Case("unclosed_expr_static", "unclosed '${'", BASE.replace("n: ${params.N}", "n: ${params.N")),
    Case("expr_syntax", "bad expression", BASE.replace('"${item.question}"}\n    n:', '"${item.question +}"}\n    n:')),
    Case("expr_unknown_filter", "No filter named 'nofilter'",
         BASE.replace('"${item.question}"}\n    n:', '"${item.question | nofilter}"}\n    n:')),
    Case("int_bomb", "PIPE_MAX_INT_BITS", solve('    seed: "${ 7 ** (7 ** 9) }"\n')),
    Case("int_bomb_per_item_field", "PIPE_MAX_INT_BITS", node('  big: {kind: value, value: "${ 7 ** (7 ** 9) }"}\n')),
    Case("string_bomb", "PIPE_MAX_STRING_CHARS",
         node("  big: {kind: value, value: \"${ ('a' * 4000000000) | length }\"}\n")),
    Case("format_width_bomb", "PIPE_MAX_STRING_CHARS", node("  big: {kind: value, value: \"${ '%0999999999d' % 1 }\"}\n")),
    Case("ljust_bomb", "PIPE_MAX_STRING_CHARS", node("  big: {kind: value, value: \"${ 'a'.ljust(10 ** 9) }\"}\n")),
    Case("static_field_reads_node", "may only use ${params...}", BASE.replace("n: ${params.N}", "n: ${answer.output}")),
    # sandbox
    Case("sandbox_vars", "internal attribute '__class__'",
         BASE.replace('"${item.question}"}\n    n:', '"${item.__class__}"}\n    n:')),
    Case("sandbox_outputs", "internal attribute '__class__'", BASE + "  leak: ${answer.__class__}\n"),
    Case("sandbox_template", "template solve.j2 reads the internal attribute '__init__'",
         files={**FILES, "solve.j2": "{{ question.__init__ }}"}),
    Case("sandbox_mutation", "calls .update()", node('  m: {kind: value, value: "${item.update({})}"}\n')),
    # node names and kinds
    Case("node_named_item", "node name 'item' is reserved", node("  item: {kind: value, value: 1}\n")),
    Case("node_named_like_unrolled", "'.' is reserved", node("  steps.1.aggregate: {kind: value, value: 1}\n")),
    Case("node_name_not_identifier", "node name 'my-node' is not allowed", node("  my-node: {kind: value, value: 1}\n")),
    Case("node_not_mapping", "a node must be a mapping with a `kind`", node("  broken: 3\n")),
    Case("unknown_kind", "unknown node kind 'poll'", BASE.replace("kind: vote", "kind: poll")),
    Case("kind_not_text", "unknown node kind ['llm']", node("  odd: {kind: [llm]}\n")),
    Case("unknown_node_key", "unknown key 'temprature' for a llm node", solve("    temprature: 0.5\n")),
    Case("unknown_reference", "references unknown name 'itm'",
         BASE.replace('"${item.question}"}\n    n:', '"${itm.question}"}\n    n:')),
    Case("cycle", "cycle", BASE.replace('"${item.question}"}\n    n:', '"${answer.output}"}\n    n:')),
    Case("output_unknown_name", "output leak references unknown names ['nothing']", BASE + "  leak: ${nothing.output}\n"),
    # llm nodes and templates
    Case("missing_template", "template file 'solve.j2' not found", files={"agg.j2": FILES["agg.j2"]}),
    Case("template_symlink_outside", "outside the recipe's folder", setup=_symlink("t.j2", "solve.j2")),
    Case("template_include_outside", "outside the recipe's folder",
         files={**FILES, "solve.j2": "{% include 'inc.j2' %}"}, setup=_symlink("i.j2", "inc.j2")),
    Case("template_include_cycle", "template includes itself: solve.j2 -> solve.j2",
         files={**FILES, "solve.j2": "{{ question }}{% include 'solve.j2' %}"}),
    Case("template_syntax", "has a syntax error", files={**FILES, "solve.j2": "{{ question "}),
    Case("template_unknown_filter", "No filter named 'shout'", files={**FILES, "solve.j2": "{{ question | shout }}"}),
    Case("template_unknown_variable", "uses ['style']", files={**FILES, "solve.j2": "{{ question }} {{ style }}"}),
    Case("prompt_and_messages", "needs exactly one of `prompt` or `messages`",
         solve("    messages: [{role: user, content: hi}]\n")),
    Case("map_with_n", "`map` and n > 1 cannot be combined",
         BASE.replace("        map: ${groups.output}\n", "        map: ${groups.output}\n        n: 2\n")),
    # python nodes
    Case("python_without_opt_in", "needs the recipe's explicit opt-in",
         node("  check: {kind: python, function: helpers.py:f}\n")),
    Case("python_missing_module", "helpers.py not found",
         "allow_python: true\n" + node("  check: {kind: python, function: helpers.py:f}\n")),
    Case("python_outside_folder", "outside the recipe's folder",
         "allow_python: true\n" + node("  check: {kind: python, function: ../evil.py:f}\n")),
    Case("python_unknown_input", "takes no ['y']",
         "allow_python: true\n" + node("  check: {kind: python, function: helpers.py:f, inputs: {y: 1}}\n"),
         files={**FILES, "helpers.py": "def f(x):\n    return x\n"}),
    # vote and repeat
    Case("vote_unknown_extractor", "unknown extract 'bold'", BASE.replace("extract: none", "extract: bold")),
    Case("vote_unknown_equivalence", "unknown equivalence 'fuzzy'", BASE.replace("equivalence: exact", "equivalence: fuzzy")),
    Case("repeat_unknown_key", "unknown key 'until' for a repeat node", BASE.replace("    output: aggregate\n", "    output: aggregate\n    until: done\n")),
    Case("repeat_output_not_in_body", "repeat output 'final' is not a body node", BASE.replace("output: aggregate", "output: final")),
    # dataset
    Case("dataset_unknown_source", "unknown dataset source 'nope'", BASE.replace("source: inline", "source: nope")),
    Case("dataset_unknown_option", "takes no ['colour']", BASE.replace("  source: inline\n", "  source: inline\n  colour: red\n")),
    Case("dataset_inline_empty", "needs a non-empty `items` list", BASE.replace('items: [{id: a, question: "1+1", answer: "2"}]', "items: []")),
    Case("dataset_inline_missing_field", "dataset row has no field 'question'",
         BASE.replace('question: "1+1"', 'q: "1+1"')),
    Case("dataset_inline_duplicate_ids", "duplicate item id 'a'",
         BASE.replace('items: [{id: a, question: "1+1", answer: "2"}]',
                      'items: [{id: a, question: "1", answer: "1"}, {id: a, question: "2", answer: "2"}]')),
    Case("dataset_jsonl_missing", "dataset file", _jsonl("")),
    Case("dataset_jsonl_bad_json", "invalid JSON", _jsonl(""), files={**FILES, "data.jsonl": '{"question": "1"\n'}),
    Case("dataset_jsonl_missing_field", "dataset row has no field 'question'", _jsonl(""),
         files={**FILES, "data.jsonl": '{"q": "1+1", "answer": "2"}\n'}),
    # endpoint
    Case("endpoint_credentials", "carries credentials", BASE + "endpoint: http://user:secret@host:8000/v1\n"),
    Case("endpoint_query_token", "has a query string", BASE + "endpoint: http://host:8000/v1?key=abc\n"),
    Case("endpoint_not_http", "is not an http(s) URL", BASE + "endpoint: ftp://host/v1\n"),
    Case("endpoint_negative_concurrency", "concurrency", BASE + "endpoint: {url: http://host:8000/v1, concurrency: -4}\n"),
    Case("endpoint_flag_malformed", "is not an http(s) URL", args=("--endpoint", "not a url")),
    Case("endpoint_timeout_zero", "endpoint.timeout_s: Input should be greater than 0",
         BASE + "endpoint: {url: http://h/v1, timeout_s: 0}\n"),
    Case("endpoint_no_replicas", "`urls` is empty", BASE + "endpoint: {urls: []}\n"),
    # more shapes of wrong
    Case("samples_bool", "(nodes.solve.n): Input should be a valid integer, got True",
         BASE.replace("n: ${params.N}", "n: true")),
    Case("samples_fraction", "Input should be a valid integer, got 2.5", BASE.replace("n: ${params.N}", "n: 2.5")),
    Case("repeat_times_fraction", "repeat times must be an integer >= 0, got 4.5",
         BASE.replace("times: ${params.T - 1}", "times: ${params.T * 1.5}")),
    Case("nested_repeat_bomb", "10,000,100,008, over the limit of 10,000 (PIPE_MAX_NODES)",
         node("  outer:\n    kind: repeat\n    times: 100000\n    init: 1\n    output: inner\n"
              "    body:\n      inner:\n        kind: repeat\n        times: 100000\n"
              "        init: ${prev}\n        output: v\n        body:\n"
              "          v: {kind: value, value: 1}\n")),
    Case("groups_without_from", "missing required key 'from' for a groups node",
         BASE.replace('from: "${prev}", ', "")),
    Case("repeat_init_reads_itself", "the nodes form a cycle: steps.0 ->",
         BASE.replace("init: ${solve.output}", "init: ${steps.output}")),
    Case("message_role_unknown", "Input should be 'system', 'user' or 'assistant', got 'bot'",
         solve("    messages: [{role: bot, content: hi}]\n").replace("    prompt: solve.j2\n", "", 1)),
    Case("model_reads_item", "(model): this field is needed before the run",
         BASE + "model: ${item.question}\n"),
    Case("yaml_python_tag", "could not determine a constructor for the tag",
         BASE + "x: !!python/object/apply:os.system [ls]\n"),
    Case("yaml_unhashable_key", "found unhashable key", BASE + "? [a]\n: 1\n"),
    Case("template_parent_path", "template file '../solve.j2' not found",
         BASE.replace("prompt: solve.j2", "prompt: ../solve.j2")),
    Case("template_not_utf8", "template 'solve.j2' is not UTF-8 text",
         setup=lambda folder: (folder / "solve.j2").write_bytes(b"Solve \xff {{ question }}")),
    Case("dataset_jsonl_not_utf8", "line is not UTF-8 text", _jsonl(""),
         setup=lambda folder: (folder / "data.jsonl").write_bytes(b'{"question": "\xff"}\n')),
    Case("dataset_row_not_mapping", "a dataset row must be a mapping, got int",
         BASE.replace('items: [{id: a, question: "1+1", answer: "2"}]', "items: [5]")),
    Case("params_not_mapping", "(params): Input should be a valid dictionary",
         BASE.replace("  N: {type: int, default: 4}\n", "  - N\n").replace(
             "  K: {type: int, default: 2}\n  T: {type: int, default: 3}\n"
             "  temp: {type: float, default: 1.0}\n", "")),
]


def run_case(case: Case, command: str = "validate") -> tuple[int, str, float, Path]:
    """Run `pipe <command>` on the case in a fresh folder: (exit code, stderr+stdout, seconds,
    the folder)."""
    folder = Path(tempfile.mkdtemp(prefix=f"hostile-{case.id}-"))
    recipe = case.write(folder)
    store = ["--store", str(folder / "store")] if command == "run" else []
    env = {**os.environ, **case.env, "COLUMNS": "80"}
    started = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).parent / "pipe"), command, str(recipe), *store,
                           *case.args], capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stderr + done.stdout, time.monotonic() - started, folder


def main() -> None:
    print(f"{len(CASES)} classes of bad input; `pipe validate` on each:\n")
    print(f"{'case':34} exit  secs  first problem")
    for case in CASES:
        code, out, seconds, _ = run_case(case)
        lines = [ln.strip() for ln in out.splitlines() if ln.strip()]
        first = lines[1] if len(lines) > 1 and lines[0].startswith("error: ") and "problem" in lines[0] else lines[0]
        mark = "" if code == 2 and case.expect in out else "  <-- UNEXPECTED"
        print(f"{case.id:34} {code:>4} {seconds:5.1f}  {first[:110]}{mark}")


if __name__ == "__main__":
    main()
