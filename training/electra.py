"""Replaced-token detection (ELECTRA) for the compact encoder.

A small generator fills the masked positions with samples from its MLM
distribution; the encoder (the discriminator, the model that is kept) reads
the filled sequence and tells, at every token, whether it was replaced. The
discriminator learns from every token instead of the ~15% masked ones, which
is why ELECTRA gets more from the same compute (Clark et al., 2020).

Here the generator is the encoder's own first ``generator_layers`` layers
(copied, then trained apart) under the shared embeddings, with the encoder's
MLM head as its output: so both start from the pretrained encoder, and the
generator is a quarter of the discriminator's depth at 1 of 4 layers. The
saved directory is the discriminator as a BertForMaskedLM; its MLM head is
then the generator's, so only its encoder is meant for fine-tuning.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from transformers import BertForMaskedLM, BertModel


class ElectraPretrainer(nn.Module):
    """Generator and discriminator around one BertForMaskedLM (whose encoder is the discriminator)."""

    def __init__(self, mlm: BertForMaskedLM, generator_layers: int = 1, discriminator_weight: float = 50.0) -> None:
        super().__init__()
        config = mlm.config
        n_layers = int(config.num_hidden_layers)
        if not 1 <= generator_layers <= n_layers:
            raise ValueError(
                f"expected generator_layers between 1 and the encoder's {n_layers} layers, found {generator_layers}"
            )
        self.mlm = mlm
        gen_config = copy.deepcopy(config)
        gen_config.num_hidden_layers = generator_layers
        self.generator = BertModel(gen_config, add_pooling_layer=False)
        self.generator.embeddings = mlm.bert.embeddings  # shared, as in ELECTRA
        for i in range(generator_layers):
            self.generator.encoder.layer[i].load_state_dict(mlm.bert.encoder.layer[i].state_dict())
        hidden = int(config.hidden_size)
        self.discriminator_head = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, 1))
        self.discriminator_weight = discriminator_weight

    def forward(
        self, batch: dict[str, torch.Tensor], sampler: torch.Generator | None = None
    ) -> tuple[torch.Tensor, dict[str, float]]:
        """The combined loss of a masked batch (mask_batch's input_ids, attention_mask, labels) and its parts."""
        ids, attention, labels = batch["input_ids"], batch["attention_mask"], batch["labels"]
        chosen = labels != -100
        gen_hidden = self.generator(input_ids=ids, attention_mask=attention).last_hidden_state
        gen_logits = self.mlm.cls(gen_hidden[chosen]).float()
        gen_loss = nn.functional.cross_entropy(gen_logits, labels[chosen])
        with torch.no_grad():
            sampled = torch.multinomial(torch.softmax(gen_logits, dim=-1), 1, generator=sampler).squeeze(-1)
            original = torch.where(chosen, labels, ids)
            filled = original.clone()
            filled[chosen] = sampled
            real = attention.bool()
            replaced = (filled != original) & real
        hidden = self.mlm.bert(input_ids=filled, attention_mask=attention).last_hidden_state
        logits = self.discriminator_head(hidden).squeeze(-1).float()
        target = replaced[real].float()
        disc_loss = nn.functional.binary_cross_entropy_with_logits(logits[real], target)
        with torch.no_grad():
            accuracy = ((logits[real] > 0).float() == target).float().mean().item()
        parts = {
            "generator_mlm_loss": gen_loss.item(),
            "rtd_loss": disc_loss.item(),
            "rtd_accuracy": accuracy,
            "replaced_share": target.mean().item(),
        }
        return gen_loss + self.discriminator_weight * disc_loss, parts
