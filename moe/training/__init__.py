"""Training the embedded MoE model with torch (the `train` extra): `python scripts/train_moe.py`.

    torch_model.py   MoETransformer, the torch twin of the numpy model (same tensor names and math)
    mixture.py       the data mixture: sources of (prompt, completion) pairs and the curricula
    own_samples.py   the pool of the model's own samples that aggregation examples draw from
    self_play.py     drawing that pool from the model being trained
    train.py         the trainer: batches, optimizer, checkpoints, evals (`main(argv, figma_example)`)

The modules that need torch import it at their top, so this package's `__init__` imports none of
them: mixture.py and own_samples.py work without torch.
"""
