"""`pipe serve`: the embedded model, or with `--recipe` a recipe, as an OpenAI-compatible API.

Without `--recipe` this is the embedded server's own command (the `pipe.servers` entry point
`embedded`, so `pipelines` never imports `moe`), with all its options. With `--recipe`, each
chat request runs the recipe (`pipelines.proxy`); `--host`, `--port`, `--max-body-bytes` and
`--keep-alive` keep their meaning, the engine's fan-out limits do not apply.
"""

from __future__ import annotations

from typing import Any

import click
import uvicorn

from pipelines import PipeError
from pipelines.cli.errors import fail
from pipelines.plugins import Registry
from pipelines.proxy.app import create_app
from pipelines.proxy.runner import ProxySettings

SERVERS = Registry("pipe.servers", "server")
"""`pipe serve` without --recipe: the command that serves the embedded model."""

_OWN = [
    click.Option(["--recipe"], type=click.Path(dir_okay=False, exists=True),
                 help="Serve this recipe: each chat request runs it (model = recipe name)."),
    click.Option(["--upstream"], metavar="embedded|URL",
                 help="With --recipe: where its calls go (default: the recipe's endpoint)."),
    click.Option(["--store"], default=".pipe", show_default=True,
                 help="With --recipe: run store folder (each request is a run)."),
    click.Option(["--max-cost"], type=click.FloatRange(min=0, min_open=True), metavar="USD",
                 help="With --recipe: budget of each request, and the most one may ask for."),
    click.Option(["--allow-unpriced"], is_flag=True,
                 help="With --recipe and a budget: serve a model with no known price ($0)."),
    click.Option(["--pricing"], metavar="SHEET_OR_PROFILE",
                 help="With --recipe: price sheet or deployment profile, as in `pipe run`."),
    click.Option(["--max-runs"], type=click.IntRange(1), default=16, show_default=True,
                 help="With --recipe: requests run at once; more wait for a slot."),
]
_RECIPE_ONLY = ("upstream", "max_cost", "allow_unpriced", "pricing")


class Serve(click.Command):
    """The embedded server's options, plus the recipe proxy's."""

    def __init__(self) -> None:
        super().__init__("serve", params=list(_OWN), help=(
            "Serve the embedded model, or with --recipe a recipe, as an OpenAI-compatible API "
            "(binds 127.0.0.1 unless --host says otherwise)."))

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        own = super().get_params(ctx)  # ends with --help
        return [*own[:-1], *SERVERS.get("embedded").params, own[-1]]

    def invoke(self, ctx: click.Context) -> Any:
        params = dict(ctx.params)
        recipe = params.pop("recipe")
        own = {name: params.pop(name) for name in ("store", "max_runs", *_RECIPE_ONLY)}
        if recipe is None:
            given = [f"--{n.replace('_', '-')}" for n in _RECIPE_ONLY if own[n]]
            if given:
                raise click.UsageError(f"{', '.join(given)} apply to a recipe; add --recipe R.yaml")
            return ctx.invoke(SERVERS.get("embedded").callback, **params)
        settings = ProxySettings(recipe=recipe, upstream=own["upstream"], store=own["store"],
                                 max_cost=own["max_cost"], allow_unpriced=own["allow_unpriced"],
                                 pricing=own["pricing"], max_runs=own["max_runs"],
                                 max_body_bytes=params["max_body_bytes"])
        try:
            app = create_app(settings)
        except PipeError as exc:
            fail(exc)
        service = app.state.service
        click.echo(f"serving recipe {service.name!r} as model {service.name!r} at "
                   f"http://{params['host']}:{params['port']}/v1 (upstream: "
                   f"{own['upstream'] or 'the recipe endpoint'}; runs in {own['store']})",
                   err=True)
        uvicorn.Server(uvicorn.Config(app, host=params["host"], port=params["port"],
                                      timeout_keep_alive=params["keep_alive"],
                                      log_level="info")).run()


serve = Serve()
"""The `pipe serve` command (`pipe.commands` entry point `serve`)."""
