"""statskit: descriptive statistics and small numeric helpers."""

from .descriptive import (
    data_range,
    interquartile_range,
    mean,
    median,
    mode,
    percentile,
    sample_variance,
    variance,
    weighted_mean,
)
from .numbers import (
    divisors,
    gcd,
    is_prime,
    lcm,
    multiplicity,
    prime_factors,
    primes_up_to,
    totient,
)
from .series import (
    argmax,
    bin_edges,
    clamp,
    clamp_all,
    differences,
    histogram,
    moving_average,
    normalise,
    rescale,
    running_total,
)
