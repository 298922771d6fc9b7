"""Datasets for the zoo: scikit-learn's bundled sets and synthetic ``make_*`` data, no downloads.

Every dataset comes out split (train/validation) and, unless a fault asks otherwise, standardized
with the *training* statistics, as a careful practitioner would do it. Faults that live in the
data (raw scales, noisy labels, a shifted validation set, a small training set) are applied here,
so that the training loop stays the same for every cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn import datasets as skd
from sklearn.model_selection import train_test_split

#: name -> (task, loader). Loaders return raw (unscaled) X, y.
CLASSIFICATION = {"iris", "wine", "breast_cancer", "digits", "synth_cls", "moons",
                  "blobs12", "waveforms", "seq_halves", "tokens_major",
                  "gauss_quantiles", "hastie", "shapes12", "spirals3", "blobs8",
                  "trends", "digits16", "topics", "letters7", "textures10", "glyphs40",
                  "churn", "chars29", "scenes20_src", "scenes5_ft"}  # fmt: skip
REGRESSION = {"diabetes", "friedman", "synth_reg", "seq_sum", "friedman2", "sine_mix", "friedman3",
              "prices", "signals32", "meters"}  # fmt: skip
#: Datasets whose inputs are token ids: never standardized (an id is a name, not a quantity),
#: and a config says nothing about their normalization.
TOKEN_IDS = {"topics", "chars29"}


@dataclass
class Data:
    """A split dataset, as float32 inputs and int64 labels (or float32 targets)."""

    name: str
    task: str  # "classification" | "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    n_classes: int  # 0 for regression
    normalized_inputs: bool | None  # None: token ids (the question does not apply)
    normalized_targets: bool

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[-1])

    @property
    def n_outputs(self) -> int:
        return self.n_classes if self.task == "classification" else int(self.y_train.shape[-1])


def _raw(name: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The dataset at its natural (raw) scale."""
    if name == "iris":
        return skd.load_iris(return_X_y=True)
    if name == "wine":
        return skd.load_wine(return_X_y=True)
    if name == "breast_cancer":
        return skd.load_breast_cancer(return_X_y=True)
    if name == "digits":
        x, y = skd.load_digits(return_X_y=True)
        return x * (255.0 / 16.0), y  # as 8-bit pixels (0–255), the way images arrive
    if name == "diabetes":
        return skd.load_diabetes(return_X_y=True, scaled=False)
    if name == "synth_cls":
        # Fixed generator (random_state=7) so that every seed sees the same task; the seed only
        # changes the split, the init and the batch order. Features get "physical units": scales
        # spanning four orders of magnitude and offsets, as raw tabular data has.
        x, y = skd.make_classification(
            n_samples=1600, n_features=20, n_informative=10, n_redundant=4, n_classes=6,
            n_clusters_per_class=1, class_sep=1.4, flip_y=0.02, random_state=7,
        )  # fmt: skip
        rng = np.random.default_rng(7)
        scale = 10.0 ** rng.uniform(-1, 3, size=x.shape[1])
        offset = rng.uniform(-50, 500, size=x.shape[1])
        return x * scale + offset, y
    if name == "moons":
        return skd.make_moons(n_samples=1000, noise=0.2, random_state=11)
    if name == "friedman":
        x, y = skd.make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=5)
        return x, y * 10.0  # targets in the tens to hundreds, e.g. prices in units
    if name == "synth_reg":
        return skd.make_regression(
            n_samples=1500, n_features=15, n_informative=10, noise=10.0, random_state=3
        )
    if name == "seq_sum":
        # Sequence regression: a weighted sum over 10 steps of a noisy signal (needs memory).
        rng = np.random.default_rng(13)
        x = rng.normal(size=(1500, 10, 2))
        w = np.linspace(1.0, 0.2, 10)
        y = (x[:, :, 0] * w).sum(axis=1) + 0.5 * np.tanh(x[:, :, 1]).sum(axis=1)
        return x, y * 25.0 + 100.0
    fresh = _raw_fresh(name)
    if fresh is not None:
        return fresh
    study = _raw_study(name)
    if study is not None:
        return study
    raise ValueError(f"unknown dataset {name!r}")


def _raw_fresh(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Datasets of the "fresh" families (fixed generators: the seed changes split and init)."""
    if name == "blobs12":
        # 12 classes, 24 features in physical units (scales over 3 decades).
        x, y = skd.make_classification(
            n_samples=2400, n_features=24, n_informative=14, n_redundant=4, n_classes=12,
            n_clusters_per_class=1, class_sep=2.0, flip_y=0.01, random_state=21,
        )  # fmt: skip
        rng = np.random.default_rng(21)
        scale = 10.0 ** rng.uniform(-1, 2, size=x.shape[1])
        return x * scale + rng.uniform(0, 200, size=x.shape[1]), y
    if name == "waveforms":
        # Sensor traces (N, 64 steps, 1 channel) of five wave shapes at random frequency, phase
        # and amplitude, in raw ADC counts (offset 2048, ~400 counts per unit).
        rng = np.random.default_rng(31)
        n, t = 1500, 64
        y = rng.integers(0, 5, size=n)
        freq = rng.uniform(2.0, 5.0, size=(n, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
        amp = rng.uniform(0.6, 1.4, size=(n, 1))
        u = freq * np.linspace(0, 1, t)[None, :] + phase / (2 * np.pi)
        frac = u - np.floor(u)
        shapes = np.stack(
            [
                np.sin(2 * np.pi * u),  # sine
                np.sign(np.sin(2 * np.pi * u)),  # square
                2 * frac - 1,  # sawtooth
                2 * np.abs(2 * frac - 1) - 1,  # triangle
                np.sin(2 * np.pi * u * (0.5 + np.linspace(0, 1, t)[None, :])),  # chirp
            ]
        )
        x = amp * shapes[y, np.arange(n)] + rng.normal(0, 0.25, size=(n, t))
        return (x * 400.0 + 2048.0)[:, :, None], y
    if name == "seq_halves":
        # (N, 16 steps, 3 features); class = signs of features summed over each half (4
        # classes), so the GRU must carry the first half's evidence through the second.
        rng = np.random.default_rng(41)
        x = rng.normal(size=(1600, 16, 3))
        a = x[:, :8, 0].sum(axis=1) + 0.5 * x[:, :8, 1].sum(axis=1) > 0
        b = x[:, 8:, 0].sum(axis=1) - 0.5 * x[:, 8:, 2].sum(axis=1) > 0
        return x, (2 * a + b).astype(np.int64)
    if name == "tokens_major":
        # Sequences of 16 tokens from a vocabulary of 8 (one-hot); class = the most frequent of
        # tokens 0-5 (ties: the lowest), with tokens 6-7 as distractors.
        rng = np.random.default_rng(51)
        n, t, v = 1500, 16, 8
        tok = rng.integers(0, v, size=(n, t))
        y = rng.integers(0, 6, size=n)
        boost = rng.random((n, t)) < 0.18
        tok = np.where(boost, y[:, None], tok)
        counts = np.stack([(tok == k).sum(axis=1) for k in range(6)], axis=1)
        return np.eye(v)[tok], counts.argmax(axis=1)
    if name == "friedman2":
        # Friedman #2 (impedance of an RLC circuit): inputs in their units (ohms, rad/s, F, …,
        # scales from 1 to 1,700), targets in the hundreds.
        return skd.make_friedman2(n_samples=1500, noise=150.0, random_state=61)
    return None


def _raw_study(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Datasets of the "study" families (fixed generators: the seed changes split and init)."""
    if name == "gauss_quantiles":
        # 4 classes = quantile shells of the radius of a 6-D Gaussian, features then put in
        # physical units (scales over 3 decades, offsets), as raw sensor tables have them.
        x, y = skd.make_gaussian_quantiles(
            n_samples=2400, n_features=6, n_classes=4, random_state=91
        )
        rng = np.random.default_rng(91)
        scale = 10.0 ** rng.uniform(-1, 2, size=x.shape[1])
        return x * scale + rng.uniform(0, 100, size=x.shape[1]), y
    if name == "hastie":
        # Hastie et al. 10.2: 10 standard normal features, class = sum of squares > 9.34
        # (labels -1/+1 mapped to 0/1 for a binary logit).
        x, y = skd.make_hastie_10_2(n_samples=2400, random_state=71)
        return x, (y > 0).astype(np.int64)
    if name == "friedman3":
        # Friedman #3 (phase angle of an RLC circuit): inputs in their units (ohms, rad/s, F,
        # ohms; scales from 1 to 1,700), target an angle in radians.
        return skd.make_friedman3(n_samples=1500, noise=0.1, random_state=81)
    if name == "sine_mix":
        # Load forecasting: 32 steps of a mixture of two noisy sines (random periods, phases and
        # amplitudes) in megawatts (~500 MW base, ~120 MW swing); target = the next value.
        rng = np.random.default_rng(101)
        n, t = 1600, 33
        sig = _mixed_tones(rng, n, t, tones=2, periods=(6.0, 20.0), amps=(0.3, 1.0))
        sig += rng.normal(0, 0.05, size=(n, t))
        sig = 500.0 + 120.0 * sig
        return sig[:, :-1, None], sig[:, -1]
    if name == "shapes12":
        # 12x12 grey images (0-255) of five shapes (square outline, filled disc, cross,
        # horizontal bar, diagonal) at random size, position and contrast, with noise; stored
        # (N, 144 pixels, 1 channel) so that standardization is per channel, as for images.
        rng = np.random.default_rng(111)
        n, s = 2000, 12
        y = rng.integers(0, 5, size=n)
        yy, xx = np.mgrid[0:s, 0:s]
        imgs = np.zeros((n, s, s))
        for i in range(n):
            r = int(rng.integers(2, 5))
            cy, cx = rng.integers(r, s - r, size=2)
            k = y[i]
            if k == 0:
                m = np.maximum(abs(yy - cy), abs(xx - cx)) == r
            elif k == 1:
                m = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            elif k == 2:
                m = ((yy == cy) & (abs(xx - cx) <= r)) | ((xx == cx) & (abs(yy - cy) <= r))
            elif k == 3:
                m = (abs(yy - cy) <= 1) & (abs(xx - cx) <= r + 1)
            else:
                m = (yy - cy == xx - cx) & (abs(yy - cy) <= r)
            imgs[i] = m * rng.uniform(0.3, 1.0)
        clutter = rng.random(imgs.shape) < 0.03  # dust: isolated bright pixels
        imgs += clutter * rng.uniform(0.3, 1.0, size=imgs.shape) + rng.normal(0, 0.25, imgs.shape)
        imgs = np.clip(imgs, 0, 1) * 255.0
        return imgs.reshape(n, s * s, 1), y
    return _raw_study_b(name)


def _raw_study_b(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The second group of study datasets (round ten): other shapes of data, same rules."""
    if name == "spirals3":
        # Three interleaved spiral arms in millimetres (a plotter's coordinates: offset 400 mm,
        # ~120 mm radius), with noise; the classic task a small MLP needs width and depth for.
        rng = np.random.default_rng(121)
        n = 1800
        y = rng.integers(0, 3, size=n)
        r = rng.uniform(0.05, 1.0, size=n)
        theta = 3.5 * r + y * (2 * np.pi / 3) + rng.normal(0, 0.12, size=n)
        x = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
        return x * 120.0 + 400.0, y
    if name == "blobs8":
        # 8 Gaussian blobs in 16-D, features in physical units (scales over 2 decades).
        x, y = skd.make_blobs(
            n_samples=2000, n_features=16, centers=8, cluster_std=2.5, random_state=131
        )
        rng = np.random.default_rng(131)
        scale = 10.0 ** rng.uniform(0, 2, size=x.shape[1])
        return x * scale + rng.uniform(-100, 100, size=x.shape[1]), y
    if name == "trends":
        # (N, 24 steps, 2 channels) of noisy series whose class is the trend of channel 0
        # (rising, falling, flat, rising then falling); channel 1 is a distractor; in degrees C.
        rng = np.random.default_rng(141)
        n, t = 1600, 24
        y = rng.integers(0, 4, size=n)
        u = np.linspace(0, 1, t)[None, :]
        slope = rng.uniform(0.5, 1.5, size=(n, 1))
        shapes = np.stack(
            [slope * u, -slope * u, 0 * u + 0 * slope, slope * (1 - np.abs(2 * u - 1))]
        )
        c0 = shapes[y, np.arange(n)] + rng.normal(0, 0.3, size=(n, t))
        c1 = rng.normal(0, 1.0, size=(n, t))
        return np.stack([20.0 + 5.0 * c0, 20.0 + 5.0 * c1], axis=2), y
    if name == "prices":
        # House-price-like regression: 12 features in their units (areas, counts, years,
        # distances), a price in thousands with a multiplicative interaction and heavy noise.
        rng = np.random.default_rng(151)
        n = 1500
        z = rng.normal(size=(n, 12))
        price = 300 + 80 * z[:, 0] + 40 * z[:, 1] * z[:, 2] + 30 * np.tanh(z[:, 3]) + 25 * z[:, 4]
        price = price + rng.normal(0, 25, size=n)
        scale = np.array([400, 1, 1, 30, 5, 2, 1000, 10, 3, 50, 0.5, 200], dtype=float)
        offset = np.array([1500, 3, 2, 1980, 10, 0, 5000, 20, 1, 100, 0, 800], dtype=float)
        return z * scale + offset, price * 1000.0
    return _raw_study_c(name)


def _raw_study_c(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The third group of study datasets (round eleven): the data of scripts people copy."""
    if name == "digits16":
        # PyTorch's MNIST example, small: sklearn's 8x8 digits blown up to 16x16, shifted by up to
        # two pixels and speckled, in 0-255 grey levels; (N, 256 pixels, 1 channel).
        d = skd.load_digits()
        rng = np.random.default_rng(161)
        imgs = np.kron(d.images, np.ones((2, 2))) / 16.0
        for i in range(len(imgs)):
            imgs[i] = np.roll(imgs[i], tuple(rng.integers(-2, 3, size=2)), axis=(0, 1))
        imgs = np.clip(imgs + rng.normal(0, 0.1, imgs.shape), 0, 1) * 255.0
        return imgs.reshape(len(imgs), 256, 1), d.target
    if name == "topics":
        # torchtext's text-classification tutorial, small: documents of 24 token ids from a
        # vocabulary of 300, four topics of 25 keywords each; a third of a document's tokens
        # are its topic's keywords, the rest common words shared by every topic.
        rng = np.random.default_rng(171)
        n, t, v = 2000, 24, 300
        y = rng.integers(0, 4, size=n)
        keywords = rng.permutation(v)[:100].reshape(4, 25)
        common = rng.integers(0, v, size=(n, t))
        topical = keywords[y[:, None], rng.integers(0, 25, size=(n, t))]
        tok = np.where(rng.random((n, t)) < 0.33, topical, common)
        return tok.astype(np.float64), y
    if name == "letters7":
        # Seven letter-like classes from 20 stroke features in their units (lengths in pixels,
        # angles in degrees, counts); overlapping clusters, 2 % of labels wrong at the source.
        x, y = skd.make_classification(
            n_samples=2100, n_features=20, n_informative=12, n_redundant=4, n_classes=7,
            n_clusters_per_class=2, class_sep=1.5, flip_y=0.02, random_state=181,
        )  # fmt: skip
        rng = np.random.default_rng(181)
        scale = 10.0 ** rng.uniform(0, 2, size=x.shape[1])
        return x * scale + rng.uniform(0, 300, size=x.shape[1]), y
    if name == "signals32":
        # An autoencoder's data: windows of 32 samples of three mixed tones in millivolts (500 mV
        # offset, ~60 mV swing) with noise; the target is the window itself.
        rng = np.random.default_rng(191)
        n, t = 1600, 32
        sig = _mixed_tones(rng, n, t, tones=3, periods=(4.0, 24.0), amps=(0.2, 1.0))
        sig = 500.0 + 60.0 * (sig + rng.normal(0, 0.05, size=(n, t)))
        return sig, sig.copy()
    return _raw_study_d(name)


def _raw_study_d(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The fourth group of study datasets (round twelve): colour images, many classes, an
    imbalanced binary target and a regression in its units."""
    if name == "textures10":
        # CIFAR's shape, small: 12x12 colour images of stripes under heavy noise; the class is
        # the stripes' orientation (ten, 18 degrees apart); their frequency and the colour are
        # random and say nothing.
        rng = np.random.default_rng(201)
        n, side = 2400, 12
        y = rng.integers(0, 10, size=n)
        angle = np.pi * y / 10 + rng.normal(0, 0.05, size=n)
        freq = rng.uniform(1.2, 2.5, size=n)
        yy, xx = np.mgrid[0:side, 0:side] / side
        wave = np.sin(
            2 * np.pi * freq[:, None, None]
            * (xx[None] * np.cos(angle)[:, None, None] + yy[None] * np.sin(angle)[:, None, None])
            + rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
        )  # fmt: skip
        colour = rng.uniform(0.3, 1.0, size=(n, 1, 1, 3))
        img = 127.5 + 60.0 * wave[..., None] * colour + rng.normal(0, 70.0, size=(n, side, side, 3))
        return np.clip(img, 0, 255).reshape(n, side * side, 3), y
    if name == "glyphs40":
        # Forty classes (a glyph or face-ID shape of problem) from 48 standardized features:
        # a hundred samples per class, 1 % of labels wrong at the source.
        return skd.make_classification(
            n_samples=4000, n_features=48, n_informative=24, n_redundant=8, n_classes=40,
            n_clusters_per_class=1, class_sep=2.0, flip_y=0.01, random_state=211,
        )  # fmt: skip
    if name == "churn":
        # Customer churn: 88 % stay, 12 % leave; ten features in their units (tenure in months,
        # charges in dollars, age, counts, a contract code).
        x, y = skd.make_classification(
            n_samples=4000, n_features=10, n_informative=6, n_redundant=2, weights=[0.88],
            class_sep=1.2, flip_y=0.03, random_state=221,
        )  # fmt: skip
        scale = np.array([20, 30, 2000, 15, 1, 2, 1, 40, 5, 0.5])
        offset = np.array([36, 70, 2500, 45, 2, 3, 1, 100, 20, 1])
        return x * scale + offset, y
    if name == "meters":
        # A building's hourly energy use in kWh from the weather and the calendar in their
        # units (°C, % humidity, hour, weekday, occupants, m², W/m² of sun).
        rng = np.random.default_rng(231)
        n = 3000
        temp = rng.uniform(-10, 35, n)
        hum = rng.uniform(20, 95, n)
        hour = rng.integers(0, 24, n).astype(float)
        day = rng.integers(0, 7, n).astype(float)
        people = rng.uniform(0, 300, n) * (day < 5) * ((hour > 7) & (hour < 19))
        area = rng.uniform(500, 5000, n)
        sun = np.clip(900 * np.sin(np.pi * (hour - 6) / 12), 0, None) * rng.uniform(0.3, 1, n)
        kwh = (
            area * 0.02 + 3.0 * np.abs(temp - 18) * area / 1000 + 0.4 * people
            + 0.05 * hum - 0.02 * sun + rng.normal(0, 8, n)
        )  # fmt: skip
        return np.column_stack([temp, hum, hour, day, people, area, sun]), kwh
    return _raw_study_e(name)


#: The character set of ``chars29``: 26 letters, space, full stop, newline.
CHARS = "abcdefghijklmnopqrstuvwxyz .\n"


def _raw_study_e(name: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The fifth group of study datasets (round thirteen): text, as language models read it."""
    if name == "chars29":
        # nanoGPT's shakespeare_char, small: a text of 150 made-up words (Zipf frequencies,
        # sentences of 3-12 words ending in ". " and now and then a newline) read as
        # characters; each sample is a window of 16 character ids and the next character.
        # Within a word the next letter is nearly determined; at a word's start it is not.
        rng = np.random.default_rng(241)
        letters = np.array(list(CHARS[:26]))
        words = ["".join(rng.choice(letters, size=rng.integers(2, 8))) for _ in range(150)]
        words[:26] = [c + w for c, w in zip(CHARS[:26], words[:26], strict=True)]  # every letter
        freq = 1.0 / np.arange(1, len(words) + 1) ** 1.1
        parts: list[str] = []
        while sum(map(len, parts)) < 60_000:
            n_words = int(rng.integers(3, 13))
            sentence = " ".join(
                words[i] for i in rng.choice(len(words), n_words, p=freq / freq.sum())
            )
            parts.append(sentence + (".\n" if rng.random() < 0.2 else ". "))
        ids = np.array([CHARS.index(c) for c in "".join(parts)])
        n, t = 4000, 16
        start = rng.choice(len(ids) - t - 1, size=n, replace=False)
        windows = ids[start[:, None] + np.arange(t + 1)]
        return windows[:, :t].astype(np.float64), windows[:, t]
    if name in ("scenes20_src", "scenes5_ft"):
        # Fine-tuning, small: a backbone pretrained on twenty scene classes (6000 samples) is
        # fine-tuned on 1500 other samples of five of them (3 % of their labels wrong), as a
        # checkpoint is fine-tuned on a narrower task: the features carry over, the head is new.
        x, y = skd.make_classification(
            n_samples=12000, n_features=32, n_informative=20, n_redundant=6, n_classes=20,
            n_clusters_per_class=1, class_sep=1.6, flip_y=0.0, random_state=251,
        )  # fmt: skip
        if name == "scenes20_src":
            return x[:6000], y[:6000]
        x, y = x[6000:], y[6000:]
        keep = np.flatnonzero(y < 5)[:1500]
        rng = np.random.default_rng(251)
        y5 = y[keep].copy()
        flip = rng.random(len(y5)) < 0.03
        y5[flip] = rng.integers(0, 5, size=int(flip.sum()))
        return x[keep], y5
    return None


def _mixed_tones(
    rng: np.random.Generator,
    n: int,
    t: int,
    *,
    tones: int,
    periods: tuple[float, float],
    amps: tuple[float, float],
) -> np.ndarray:
    """(n, t) sums of ``tones`` sines, each at a random period, phase and amplitude per row."""
    steps = np.arange(t)[None, :]
    sig = np.zeros((n, t))
    for _ in range(tones):
        period = rng.uniform(*periods, size=(n, 1))
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
        amp = rng.uniform(*amps, size=(n, 1))
        sig += amp * np.sin(2 * np.pi * steps / period + phase)
    return sig


def _standardize(train: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale with the training set's statistics; constant features get std 1 (no NaN)."""
    axes = tuple(range(train.ndim - 1))
    mean = train.mean(axis=axes, keepdims=True)
    std = train.std(axis=axes, keepdims=True)
    std = np.where(std < 1e-8, 1.0, std)
    return (train - mean) / std, (other - mean) / std


def load(
    name: str,
    seed: int,
    *,
    n_train: int | None = None,
    raw_inputs: bool = False,
    raw_targets: bool = False,
    label_noise: float = 0.0,
    val_shift: str | None = None,
) -> Data:
    """Load, split (80/20, stratified for classes) and prepare one dataset.

    :param n_train: keep only this many training samples (overfitting scenarios).
    :param raw_inputs: leave inputs at their raw scale (``no_normalization``).
    :param raw_targets: leave regression targets at their raw scale (``no_normalization``).
    :param label_noise: replace this fraction of training labels with random classes.
    :param val_shift: draw validation from another distribution: ``"shift"`` (offset and
        rescaled features), ``"invert"`` (mirrored feature values), ``"permute"`` (features in
        another order).
    """
    task = "classification" if name in CLASSIFICATION else "regression"
    x, y = _raw(name, seed)
    x = np.asarray(x, dtype=np.float64)
    strat = y if task == "classification" else None
    x_tr, x_va, y_tr, y_va = train_test_split(
        x, y, test_size=0.2, random_state=seed, stratify=strat
    )
    rng = np.random.default_rng(1000 + seed)
    if n_train is not None and n_train < len(x_tr):
        idx = rng.choice(len(x_tr), size=n_train, replace=False)
        x_tr, y_tr = x_tr[idx], y_tr[idx]
    tokens = name in TOKEN_IDS
    if not raw_inputs and not tokens:
        x_tr, x_va = _standardize(x_tr, x_va)
    if val_shift is not None:
        x_va = _shift(x_va, x_tr, val_shift, rng)
    n_classes = 0
    if task == "classification":
        n_classes = int(np.max(y) + 1)
        y_tr = y_tr.astype(np.int64)
        y_va = y_va.astype(np.int64)
        if label_noise > 0:
            flip = rng.random(len(y_tr)) < label_noise
            y_tr = y_tr.copy()
            y_tr[flip] = rng.integers(0, n_classes, size=int(flip.sum()))
    else:
        y_tr = np.asarray(y_tr, dtype=np.float64).reshape(len(y_tr), -1)
        y_va = np.asarray(y_va, dtype=np.float64).reshape(len(y_va), -1)
        if not raw_targets:
            y_tr, y_va = _standardize(y_tr, y_va)
        y_tr = y_tr.astype(np.float32)
        y_va = y_va.astype(np.float32)
    return Data(
        name=name,
        task=task,
        x_train=x_tr.astype(np.float32),
        y_train=y_tr,
        x_val=x_va.astype(np.float32),
        y_val=y_va,
        n_classes=n_classes,
        normalized_inputs=None if tokens else not raw_inputs,
        normalized_targets=task == "regression" and not raw_targets,
    )


def _shift(
    x_val: np.ndarray, x_train: np.ndarray, how: str, rng: np.random.Generator
) -> np.ndarray:
    """A validation set from another distribution than training (train_val_mismatch)."""
    axes = tuple(range(x_train.ndim - 1))
    std = x_train.std(axis=axes, keepdims=True)
    std = np.where(std < 1e-8, 1.0, std)
    if how == "shift":
        # A different acquisition: every feature offset by 1.5 std and stretched by 1.5.
        mean = x_train.mean(axis=axes, keepdims=True)
        return (x_val - mean) * 1.5 + mean + 1.5 * std
    if how == "invert":
        mean = x_train.mean(axis=axes, keepdims=True)
        return 2 * mean - x_val
    if how == "permute":
        perm = rng.permutation(x_val.shape[-1])
        return x_val[..., perm]
    raise ValueError(f"unknown val_shift {how!r}")
