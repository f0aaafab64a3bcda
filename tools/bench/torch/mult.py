"""PyTorch 1.13 mirror of the project's MulT baseline and its training step, for a like-for-like throughput ratio
against `npx midg bench --model mult --set hiddenDim=50 --set heads=10` (MulT's defaults, configs/mult.yaml).

Mirrors the TS model (packages/baselines/mult/src/*.ts, packages/nn/src/{transformer,attention}.ts), not MMSA's:
  input     text features through dropout (textDropout 0.5); per modality a bias-free temporal conv of kernel 5 as
            temporal-conv.ts builds it: mask, zero-pad k-1 steps at the end, the k shifted copies concatenated on
            the feature axis, one dense [k*D -> d].
  crossmodal per ordered pair target <- source (t<-a, t<-v, a<-t, a<-v, v<-t, v<-a): both inputs scaled by sqrt(d),
            plus interleaved sinusoidal positions, embedding dropout (0.2); 4 pre-LN layers (one LN for queries and
            source; Q/K/V/O projections with bias; causal mask j <= i + S - L and key mask, masked scores -1e9,
            weights times visibility; attention dropout chosen by the source: t 0.3, a 0.2, v 0.0; residual and
            ReLU dropouts 0; FFN d -> 4d relu -> d), final LN.
  memory    per target, self-attention over the concat of its two crossmodal outputs (width 2d), max(4, 3) = 4
            layers, attention dropout 0.3, causal; the last real step (every sequence is full here).
  head      concat of the three summaries (6d), residual block proj2(dropout(relu(proj1(x)))) + x with output
            dropout 0.5, linear to 1; L1 loss.
  step      configs/mult.yaml training keys: no norm clipping, value clipping 0.6; Adam(1e-3 as bench.ts sets it,
            eps 1e-7 = TF.js float32 epsilon); the loss read back.
Init: glorot-uniform kernels, zero biases (nn's Dense); LayerNorm gamma 1, beta 0.

Usage: /usr/bin/python3 mult.py [--threads 1] [--steps 20] [--warmup 3] [--batch 32] [--json]
       /usr/bin/python3 mult.py --check     (parameter count against the TS model, 50-step loss decrease)
"""
import math
import sys

from common import REFERENCE_SHAPES, Trainer, dense, main, nn, torch, F

# `npx tsx apps/orchestrator/bench/param-counts.ts mult hiddenDim=50 heads=10`
TS_TENSORS, TS_VALUES = 603, 2_592_551
CONFIG = dict(
    hiddenDim=50, heads=10, nlevels=4, kernel=5, attnDropout={'t': 0.3, 'a': 0.2, 'v': 0.0}, memoryAttnDropout=0.3,
    reluDropout=0.0, resDropout=0.0, embedDropout=0.2, textDropout=0.5, outputDropout=0.5,
    learningRate=1e-3, gradClipNorm=0.0, gradClipValue=0.6,
)
MIN_MEMORY_LAYERS = 3
MASKED_SCORE = -1e9


def sinusoidal_positions(length, dim):
    """nn's sinusoidalPositions: column 2i sin(pos / 10000^(2i/dim)), column 2i+1 cos of the same angle."""
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    col = torch.arange(dim)
    angle = pos / torch.pow(10000.0, (2 * (col // 2)).double() / dim)[None, :]
    return torch.where(col % 2 == 0, torch.sin(angle), torch.cos(angle)).float()


class Attention(nn.Module):
    """nn's MultiHeadAttention with multiHeadAttention's masking (key mask and causal)."""

    def __init__(self, d, heads, dropout):
        super().__init__()
        self.query, self.key, self.value, self.output = dense(d, d), dense(d, d), dense(d, d), dense(d, d)
        self.heads, self.p = heads, dropout

    def split(self, x):  # [B, L, d] -> [B, h, L, d/h]
        b, l, d = x.shape
        return x.reshape(b, l, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, q, kv, key_mask):
        b, lq, d = q.shape
        s = kv.shape[1]
        scores = self.split(self.query(q)) @ self.split(self.key(kv)).transpose(-1, -2) / math.sqrt(d / self.heads)
        future = (torch.arange(s)[None, :] <= torch.arange(lq)[:, None] + (s - lq)).float()
        visible = key_mask.reshape(b, 1, 1, s) * future.reshape(1, 1, lq, s)
        weights = torch.softmax(scores + (1 - visible) * MASKED_SCORE, -1) * visible
        weights = F.dropout(weights, self.p, self.training)
        out = (weights @ self.split(self.value(kv))).transpose(1, 2).reshape(b, lq, d)
        return self.output(out)


class Layer(nn.Module):
    """nn's pre-LN TransformerLayer (relu FFN of width 4d)."""

    def __init__(self, d, heads, attn_dropout):
        super().__init__()
        self.attention_norm = nn.LayerNorm(d, eps=1e-5)
        self.attention = Attention(d, heads, attn_dropout)
        self.ffn_norm = nn.LayerNorm(d, eps=1e-5)
        self.ffn_in, self.ffn_out = dense(d, 4 * d), dense(4 * d, d)

    def forward(self, x, source, key_mask):
        c = CONFIG
        query = self.attention_norm(x)
        keys = self.attention_norm(source) if source is not None else query
        attended = x + F.dropout(self.attention(query, keys, key_mask), c['resDropout'], self.training)
        hidden = F.dropout(F.relu(self.ffn_in(self.ffn_norm(attended))), c['reluDropout'], self.training)
        return attended + F.dropout(self.ffn_out(hidden), c['resDropout'], self.training)


class MultTransformer(nn.Module):
    """mult-transformer.ts: sqrt(d) scaling, positions, embedding dropout (source too), layers, final LN."""

    def __init__(self, d, heads, layers, attn_dropout):
        super().__init__()
        self.layers = nn.ModuleList([Layer(d, heads, attn_dropout) for _ in range(layers)])
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.scale = math.sqrt(d)
        self.register_buffer('positions', sinusoidal_positions(REFERENCE_SHAPES['t'][0], d), persistent=False)

    def embed(self, x):
        return F.dropout(x * self.scale + self.positions[: x.shape[1]], CONFIG['embedDropout'], self.training)

    def forward(self, x, key_mask, source=None):
        h = self.embed(x)
        src = self.embed(source) if source is not None else None
        for layer in self.layers:
            h = layer(h, src, key_mask)
        return self.norm(h)


class TemporalConv(nn.Module):
    def __init__(self, din, d, k):
        super().__init__()
        self.taps = dense(k * din, d, bias=False)
        self.k = k

    def forward(self, x, mask):
        length = x.shape[1]
        padded = F.pad(x * mask.unsqueeze(2), (0, 0, 0, self.k - 1))
        return self.taps(torch.cat([padded[:, i: i + length] for i in range(self.k)], 2))


class Mult(nn.Module):
    def __init__(self, dims):
        super().__init__()
        c = CONFIG
        d = c['hiddenDim']
        self.modalities = [m for m in ('t', 'a', 'v') if m in dims]
        # Registration order is the TS trainableVariables() order.
        self.projections = nn.ModuleList([TemporalConv(dims[m], d, c['kernel']) for m in self.modalities])
        self.pairs = [(t, s) for t in self.modalities for s in self.modalities if s != t]
        self.crossmodal = nn.ModuleList([MultTransformer(d, c['heads'], c['nlevels'], c['attnDropout'][s]) for _, s in self.pairs])
        memory_dim = (len(self.modalities) - 1) * d
        self.memories = nn.ModuleList([MultTransformer(memory_dim, c['heads'], max(c['nlevels'], MIN_MEMORY_LAYERS), c['memoryAttnDropout'])
                                       for _ in self.modalities])
        combined = len(self.modalities) * memory_dim
        self.proj1, self.proj2, self.out = dense(combined, combined), dense(combined, combined), dense(combined, 1)

    def forward(self, x, masks):
        c = CONFIG
        projected = {}
        for i, m in enumerate(self.modalities):
            inp = F.dropout(x[m], c['textDropout'], self.training) if m == 't' else x[m]
            projected[m] = self.projections[i](inp, masks[m])
        summaries = []
        for i, target in enumerate(self.modalities):
            crossed = [self.crossmodal[j](projected[target], masks[s], source=projected[s])
                       for j, (t, s) in enumerate(self.pairs) if t == target]
            memory = self.memories[i](torch.cat(crossed, 2), masks[target])
            last = (masks[target] * torch.arange(1, memory.shape[1] + 1)).amax(1).long() - 1
            summaries.append(memory[torch.arange(memory.shape[0]), last])
        last = torch.cat(summaries, 1)
        hidden = F.dropout(F.relu(self.proj1(last)), c['outputDropout'], self.training)
        return self.out(self.proj2(hidden) + last).reshape(-1)

    def loss(self, x, masks, labels):
        return (self(x, masks) - labels).abs().mean()


def build():
    dims = {m: d for m, (_, d) in REFERENCE_SHAPES.items()}
    model = Mult(dims)
    c = CONFIG
    return model, Trainer(model, c['learningRate'], c['gradClipNorm'], c['gradClipValue'])


if __name__ == '__main__':
    sys.exit(main('mult', __doc__.split('\n')[0], build, TS_TENSORS, TS_VALUES))
