"""create_app() with no model serves the shipped weights as `moe-tiny`, loaded once."""

import asyncio

from moe.inference import MoEModel
from moe.server import create_app
from moe.server.service import default_model

from tests.moe.server.conftest import asgi_openai


def test_the_shipped_model_is_the_default_and_loads_once():
    shipped = MoEModel.load()
    apps = [create_app(), create_app()]

    async def scenario(app):
        async with asgi_openai(app) as client:
            models = await client.models.list()
            chat = await client.chat.completions.create(
                model="moe-tiny", messages=[{"role": "user", "content": "Compute 2+3."}],
                max_tokens=8, temperature=0)
            return models, chat

    for app in apps:
        models, chat = asyncio.run(scenario(app))
        assert [m.id for m in models.data] == ["moe-tiny"]
        assert chat.usage.prompt_tokens == len(shipped.tokenizer.apply_chat_template(
            [{"role": "user", "content": "Compute 2+3."}]))
        assert app.state.service.engine.engine.model is default_model()
        assert app.state.service.engine.engine.max_model_len == shipped.config.max_seq_len
