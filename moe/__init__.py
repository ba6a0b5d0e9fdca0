"""The embedded MoE model (`moe-tiny`): numpy inference, a serving engine and server, torch training.

    moe/
    ├── config.py, tokenizer.py    the architecture and the tokenizer, shared by every part
    ├── checkpoint.py, weights/    the checkpoint format (file and tensor names) and the shipped one
    ├── export.py                  the checkpoint as HF DeepSeek-V3 (transformers, vLLM, SGLang)
    ├── data.py                    the arithmetic task: training problems and the `arith` dataset
    ├── errors.py                  MoEError and its subclasses
    ├── inference/                 numpy model: layers, typed weights, latent cache, a batch sampler
    ├── engine/                    serving engine: continuous batching, prefix cache, sampling
    ├── server/                    OpenAI-compatible HTTP server (`pipe serve`, the embedded endpoint)
    └── training/                  torch twin, data mixture, self-play, trainer (the `train` extra)

Layers: inference needs only the shared modules; engine needs inference; server needs engine;
training needs inference. moe imports no other package of this project, and importing it
changes nothing in the process: BLAS is limited to one thread only while the engine runs
(`moe.inference.blas`), never through environment variables.
"""
