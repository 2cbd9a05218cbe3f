"""The bench's Python rivals: the same Gaussian operations in PyTorch or numpy.

Run by the bench (`subjects/python-rival.ts`) as `python3 rival.py ENGINE`, ENGINE `torch` or
`numpy`. It reads one JSON request per line on stdin and answers one JSON line on stdout. It times
itself, with the bench's own rules (warm-up runs and time, calls batched to a minimum sample
length, a median over repeats), so a pipe round trip never counts as work.

Each operation ends with its result in host memory, as a user would read it: a torch CPU tensor
or a numpy array is already there, so no copy is added (illia-ts reads copy into a fresh array).

Requests: {"cmd": "open"}, {"cmd": "setup", "size", "muInit", "rhoInit", "prior", "seed"},
{"cmd": "check"}, {"cmd": "time", "op", "timing"}, {"cmd": "free"}; for torch's training step,
{"cmd": "trainSetup", "hidden", "setup", "gaussian", "x", "labels"}, {"cmd": "trainCheck",
"steps"} and {"cmd": "timeTrain", "timing"}; for torch's Bayesian CNN, {"cmd": "cnnSetup",
"setup", "gaussian", "x", "labels"}, then the same trainCheck and timeTrain, and
{"cmd": "trainFree"}; for torch's conv2d forward and backward,
{"cmd": "convSetup", "shape", "x", "w", "g"}, {"cmd": "convCheck"}, {"cmd": "timeConv",
"timing"} and {"cmd": "convFree"}.
"""

import base64
import json
import math
import os
import resource
import sys
import time


def b64(array):
    """float32 values as base64 of their little-endian bytes."""
    return base64.b64encode(array.astype("<f4").tobytes()).decode("ascii")


class TorchEngine:
    def __init__(self):
        import torch

        self.torch = torch
        # Debian's build starts with one thread; PyTorch's usual default is one per core.
        # ILLIA_BENCH_TORCH_THREADS sets another count: on a loaded machine PyTorch's OpenMP
        # threads wait on each other at every op, and one thread can be several times faster.
        threads = os.environ.get("ILLIA_BENCH_TORCH_THREADS", "")
        torch.set_num_threads(int(threads) if threads else len(os.sched_getaffinity(0)))
        n = torch.get_num_threads()
        self.name = f"PyTorch {torch.__version__}, {n} thread{'' if n == 1 else 's'}"

    def setup(self, size, mu_init, rho_init, prior, seed):
        torch = self.torch
        self.gen = torch.Generator().manual_seed(seed)
        self.mu = mu_init + 0.1 * torch.randn(size, generator=self.gen)
        self.rho = rho_init + 0.1 * torch.randn(size, generator=self.gen)
        self.prior_mu = prior["mu"]
        self.prior_std = prior["std"]
        self.x = self.sample()

    def sample(self):
        torch = self.torch
        eps = torch.randn(self.mu.shape, generator=self.gen)
        return self.mu + torch.nn.functional.softplus(self.rho) * eps

    def log_prob(self, x):
        torch = self.torch
        sigma = torch.nn.functional.softplus(self.rho)
        log_posterior = (
            -torch.log(sigma) - 0.5 * ((x - self.mu) / sigma) ** 2
        ).sum()
        log_prior = (
            -math.log(self.prior_std)
            - 0.5 * ((x - self.prior_mu) / self.prior_std) ** 2
        ).sum()
        # The 0.5·log 2π of both cancel.
        return float(log_posterior - log_prior)

    def arrays(self, *tensors):
        return [t.detach().numpy() for t in tensors]

    def train_setup(self, hidden, setup, gaussian, x, labels):
        """The bench's Bayesian MLP (input → hidden → classes, ReLU), as illia-ts builds it."""
        torch = self.torch
        sizes = [(hidden, setup["input"]), (hidden,), (setup["classes"], hidden), (setup["classes"],)]
        gen = torch.Generator().manual_seed(gaussian["seed"])
        self.params = []
        for shape in sizes:
            for init in (gaussian["muInit"], gaussian["rhoInit"]):
                self.params.append((init + 0.1 * torch.randn(shape, generator=gen)).requires_grad_())
        self.train_gen = torch.Generator().manual_seed(gaussian["seed"] + 1)
        self.batch_x = torch.from_numpy(x.copy()).reshape(setup["batch"], setup["input"])
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.kl_scale = setup["klWeight"] / sum(p.numel() for p in self.params[::2])
        self.prior_mu = gaussian["prior"]["mu"]
        self.prior_std = gaussian["prior"]["std"]
        self.frozen = False
        self.optimizer = torch.optim.Adam(self.params, lr=setup["lr"])
        self.train_forward = self.mlp_forward

    def mlp_forward(self, weights):
        functional = self.torch.nn.functional
        w1, b1, w2, b2 = weights
        return functional.linear(functional.relu(functional.linear(self.batch_x, w1, b1)), w2, b2)

    def cnn_setup(self, setup, gaussian, x, labels):
        """The Bayesian CNN of examples/mnist-cnn, as illia-ts builds it (`buildModel`).

        conv k×k → ReLU → max 2×2 → conv k×k → ReLU → max 2×2 → flatten → linear → ReLU → linear,
        every weight and bias a Gaussian (mu, rho), sampled at each step by reparameterisation
        (`train_loss`), with the same one-sample KL term and Adam as the MLP.
        """
        torch = self.torch
        c1, c2 = setup["channels"]
        k, side = setup["kernel"], setup["side"]
        pooled = ((side - k + 1) // 2 - k + 1) // 2
        sizes = [
            (c1, 1, k, k), (c1,),
            (c2, c1, k, k), (c2,),
            (setup["hidden"], c2 * pooled * pooled), (setup["hidden"],),
            (setup["classes"], setup["hidden"]), (setup["classes"],),
        ]
        gen = torch.Generator().manual_seed(gaussian["seed"])
        self.params = []
        for shape in sizes:
            for init in (gaussian["muInit"], gaussian["rhoInit"]):
                self.params.append((init + 0.1 * torch.randn(shape, generator=gen)).requires_grad_())
        self.train_gen = torch.Generator().manual_seed(gaussian["seed"] + 1)
        self.batch_x = torch.from_numpy(x.copy()).reshape(setup["batch"], 1, side, side)
        self.labels = torch.tensor(labels, dtype=torch.long)
        self.kl_scale = setup["klWeight"] / sum(p.numel() for p in self.params[::2])
        self.prior_mu = gaussian["prior"]["mu"]
        self.prior_std = gaussian["prior"]["std"]
        self.frozen = False
        self.optimizer = torch.optim.Adam(self.params, lr=setup["lr"])
        self.train_forward = self.cnn_forward

    def cnn_forward(self, weights):
        functional = self.torch.nn.functional
        w1, b1, w2, b2, w3, b3, w4, b4 = weights
        h = functional.max_pool2d(functional.relu(functional.conv2d(self.batch_x, w1, b1)), 2)
        h = functional.max_pool2d(functional.relu(functional.conv2d(h, w2, b2)), 2)
        h = functional.relu(functional.linear(h.flatten(1), w3, b3))
        return functional.linear(h, w4, b4)

    def train_free(self):
        self.params = self.optimizer = self.batch_x = self.labels = None

    def train_loss(self):
        """ELBO of one sample: cross-entropy + klWeight · (one-sample KL) / number of weights."""
        torch = self.torch
        functional = torch.nn.functional
        weights = []
        kl = 0.0
        for mu, rho in zip(self.params[::2], self.params[1::2]):
            sigma = functional.softplus(rho)
            w = mu if self.frozen else mu + sigma * torch.randn(mu.shape, generator=self.train_gen)
            kl = kl + (
                -torch.log(sigma)
                - 0.5 * ((w - mu) / sigma) ** 2
                + math.log(self.prior_std)
                + 0.5 * ((w - self.prior_mu) / self.prior_std) ** 2
            ).sum()
            weights.append(w)
        logits = self.train_forward(weights)
        return functional.cross_entropy(logits, self.labels) + self.kl_scale * kl

    def train_step(self):
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.train_loss()
        loss.backward()
        self.optimizer.step()
        return float(loss)

    def conv_setup(self, shape, x, w, g):
        """NCHW x, OIHW weights and g (the gradient of the loss with respect to y), as given."""
        torch = self.torch
        n, c, o = shape["batch"], shape["inChannels"], shape["outChannels"]
        kh, kw = shape["kernelHeight"], shape["kernelWidth"]
        ho, wo = shape["height"] - kh + 1, shape["width"] - kw + 1
        self.conv_x = torch.from_numpy(x.copy()).reshape(n, c, shape["height"], shape["width"])
        self.conv_x.requires_grad_()
        self.conv_w = torch.from_numpy(w.copy()).reshape(o, c, kh, kw).requires_grad_()
        self.conv_g = torch.from_numpy(g.copy()).reshape(n, o, ho, wo)

    def conv_pass(self):
        """conv2d, the loss Σ y⊙g, and its gradients dx and dW."""
        torch = self.torch
        y = torch.nn.functional.conv2d(self.conv_x, self.conv_w)
        loss = (y * self.conv_g).sum()
        dx, dw = torch.autograd.grad(loss, (self.conv_x, self.conv_w))
        return y, loss, dx, dw

    def conv_step(self):
        # CPU tensors are computed when the call returns: nothing is left to wait for.
        _, loss, dx, dw = self.conv_pass()
        return float(loss)

    def conv_check(self):
        y, _, dx, dw = self.conv_pass()
        return {"y": b64(y.detach().numpy()), "dx": b64(dx.numpy()), "dW": b64(dw.numpy())}

    def train_check(self, steps):
        """A deterministic step at the means (nothing updated), then `steps` training steps."""
        self.frozen = True
        loss = self.train_loss()
        grads = self.torch.autograd.grad(loss, self.params)
        self.frozen = False
        params = [p.detach().clone() for p in self.params]
        losses = [self.train_step() for _ in range(steps)]
        return {
            "params": [b64(p.numpy()) for p in params],
            "grads": [b64(g.numpy()) for g in grads],
            "loss": float(loss),
            "losses": losses,
        }


class NumpyEngine:
    def __init__(self):
        import numpy

        self.np = numpy
        self.name = f"numpy {numpy.__version__}, 1 thread, PCG64 + ziggurat"

    def setup(self, size, mu_init, rho_init, prior, seed):
        np = self.np
        self.gen = np.random.default_rng(seed)
        self.mu = (mu_init + 0.1 * self.gen.standard_normal(size, np.float32)).astype(
            np.float32
        )
        self.rho = (
            rho_init + 0.1 * self.gen.standard_normal(size, np.float32)
        ).astype(np.float32)
        self.prior_mu = np.float32(prior["mu"])
        self.prior_std = np.float32(prior["std"])
        self.x = self.sample()

    def softplus(self, rho):
        np = self.np
        return np.maximum(rho, 0) + np.log1p(np.exp(-np.abs(rho)))

    def sample(self):
        eps = self.gen.standard_normal(self.mu.shape, self.np.float32)
        return self.mu + self.softplus(self.rho) * eps

    def log_prob(self, x):
        np = self.np
        sigma = self.softplus(self.rho)
        log_posterior = (-np.log(sigma) - 0.5 * ((x - self.mu) / sigma) ** 2).sum(
            dtype=np.float64
        )
        log_prior = (
            -np.log(self.prior_std) - 0.5 * ((x - self.prior_mu) / self.prior_std) ** 2
        ).sum(dtype=np.float64)
        return float(log_posterior - log_prior)

    def arrays(self, *arrays):
        return arrays


def peak_rss_mib():
    """This process's peak resident set size (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_op(fn, timing):
    """The bench's rules (`measure.ts`): milliseconds per call of each timed sample."""
    now = time.perf_counter
    last = math.inf
    begin_warmup = now()
    i = 0
    while i < timing["warmup"] or (now() - begin_warmup) * 1000 < timing["warmupMs"]:
        start = now()
        fn()
        last = (now() - start) * 1000
        i += 1
    batch = (
        max(1, min(10_000, math.ceil(timing["minSampleMs"] / max(last, 1e-4))))
        if math.isfinite(last)
        else 1
    )
    per_call = []
    begin = now()
    while len(per_call) < timing["repeats"]:
        start = now()
        for _ in range(batch):
            fn()
        end = now()
        per_call.append((end - start) * 1000 / batch)
        if len(per_call) >= 3 and end - begin > timing["maxSeconds"]:
            break
    return {"perCall": per_call, "batch": batch, "peakRssMiB": peak_rss_mib()}


def main():
    # Replies go to a private copy of stdout; whatever a library prints goes to stderr, so it can
    # never be taken for a reply.
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    engines = {"torch": TorchEngine, "numpy": NumpyEngine}
    engine = None
    for line in sys.stdin:
        try:
            request = json.loads(line)
            cmd = request["cmd"]
            if cmd == "open":
                if which not in engines:
                    raise ValueError(f"engine: expected torch or numpy, got {which!r}")
                try:
                    engine = engines[which]()
                except ImportError as error:
                    reply = {"unavailable": f"{which} is not installed for {sys.executable} ({error})"}
                else:
                    reply = {"engine": engine.name}
            elif cmd == "setup":
                engine.setup(
                    request["size"],
                    request["muInit"],
                    request["rhoInit"],
                    request["prior"],
                    request["seed"],
                )
                reply = {"ok": True}
            elif cmd == "check":
                sample = engine.sample()
                mu, rho, x, sample = engine.arrays(engine.mu, engine.rho, engine.x, sample)
                reply = {
                    "mu": b64(mu),
                    "rho": b64(rho),
                    "x": b64(x),
                    "sample": b64(sample),
                    "logProb": engine.log_prob(engine.x),
                }
            elif cmd == "time":
                ops = {
                    "sample": engine.sample,
                    "logProb": lambda: engine.log_prob(engine.x),
                    "sampleLogProb": lambda: engine.log_prob(engine.sample()),
                }
                reply = time_op(ops[request["op"]], request["timing"])
            elif cmd == "trainSetup":
                if not hasattr(engine, "train_setup"):
                    raise ValueError(f"the {which} rival has no training step")
                import numpy

                x = numpy.frombuffer(base64.b64decode(request["x"]), "<f4")
                engine.train_setup(
                    request["hidden"], request["setup"], request["gaussian"], x, request["labels"]
                )
                reply = {"ok": True}
            elif cmd == "cnnSetup":
                if not hasattr(engine, "cnn_setup"):
                    raise ValueError(f"the {which} rival has no CNN training step")
                import numpy

                x = numpy.frombuffer(base64.b64decode(request["x"]), "<f4")
                engine.cnn_setup(request["setup"], request["gaussian"], x, request["labels"])
                reply = {"ok": True}
            elif cmd == "trainFree":
                engine.train_free()
                reply = {"ok": True}
            elif cmd == "trainCheck":
                reply = engine.train_check(request["steps"])
            elif cmd == "timeTrain":
                reply = time_op(engine.train_step, request["timing"])
            elif cmd == "convSetup":
                if not hasattr(engine, "conv_setup"):
                    raise ValueError(f"the {which} rival has no conv2d")
                import numpy

                arrays = [numpy.frombuffer(base64.b64decode(request[k]), "<f4") for k in "xwg"]
                engine.conv_setup(request["shape"], *arrays)
                reply = {"ok": True}
            elif cmd == "convCheck":
                reply = engine.conv_check()
            elif cmd == "timeConv":
                reply = time_op(engine.conv_step, request["timing"])
            elif cmd == "convFree":
                engine.conv_x = engine.conv_w = engine.conv_g = None
                reply = {"ok": True}
            elif cmd == "free":
                engine.mu = engine.rho = engine.x = None
                reply = {"ok": True}
            else:
                raise ValueError(f"cmd: unknown request {cmd!r}")
        except Exception as error:  # every failure goes back to the bench as a row's reason
            reply = {"error": f"{type(error).__name__}: {error}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
