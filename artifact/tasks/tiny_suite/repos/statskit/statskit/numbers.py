"""Small integer helpers: divisibility and primes."""


def gcd(a, b):
    """Return the greatest common divisor of two integers (gcd(0, 0) is 0)."""
    a, b = abs(a), abs(b)
    if a == 0 or b == 0:
        return a + b
    for candidate in range(min(a, b), 1, -1):
        if a % candidate == 0 and b % candidate == 0:
            return candidate
    return 1


def lcm(a, b):
    """Return the least common multiple of two integers (0 if either is 0)."""
    if a == 0 or b == 0:
        return 0
    return abs(a * b) // gcd(a, b)


def is_prime(n):
    """Return True if n is a prime number."""
    if n < 2:
        return False
    for divisor in range(2, int(n ** 0.5) + 1):
        if n % divisor == 0:
            return False
    return True


def primes_up_to(limit):
    """Return all primes <= limit, using the sieve of Eratosthenes."""
    if limit < 2:
        return []
    candidate = [True] * (limit + 1)
    candidate[0] = False
    candidate[1] = False
    for number in range(2, int(limit ** 0.5) + 1):
        if candidate[number]:
            for multiple in range(number * number, limit + 1, number):
                candidate[multiple] = False
    return [number for number in range(limit + 1) if candidate[number]]


def totient(n):
    """Return Euler's totient: how many of 1..n are coprime to n."""
    result = n
    for p in range(2, n + 1):
        if n % p == 0 and is_prime(p):
            result = result // p * (p - 1)
    return result


def multiplicity(n, p):
    """Return how many times p (at least 2) divides n (at least 1)."""
    count = 0
    # p >= 2 can divide n at most n.bit_length() times.
    for _ in range(n.bit_length()):
        if n % p != 0:
            break
        n //= p
        count += 1
    return count


def prime_factors(n):
    """Return the prime factors of n >= 2 in ascending order, with repeats."""
    factors = []
    remaining = n
    for candidate in range(2, n + 1):
        if candidate * candidate > remaining:
            break
        count = multiplicity(remaining, candidate)
        factors.extend([candidate] * count)
        remaining //= candidate ** count
    if remaining > 1:
        factors.append(remaining)
    return factors


def divisors(n):
    """Return the positive divisors of n >= 1 in ascending order."""
    small = []
    large = []
    for d in range(1, int(n ** 0.5) + 1):
        if n % d == 0:
            small.append(d)
            if d != n // d:
                large.append(n // d)
    return small + large[::-1]
