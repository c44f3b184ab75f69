from statskit.numbers import (
    divisors,
    gcd,
    is_prime,
    lcm,
    multiplicity,
    prime_factors,
    primes_up_to,
    totient,
)


def test_gcd_of_positive_numbers():
    assert gcd(10, 15) == 5
    assert gcd(4, 6) == 2
    assert gcd(9, 9) == 9


def test_gcd_of_coprime_numbers():
    assert gcd(7, 13) == 1
    assert gcd(1, 8) == 1


def test_gcd_with_zero_and_negative():
    assert gcd(0, 5) == 5
    assert gcd(-12, 8) == 4
    assert gcd(0, 0) == 0


def test_lcm_of_positive_numbers():
    assert lcm(4, 6) == 12
    assert lcm(1, 9) == 9
    assert lcm(7, 1) == 7


def test_lcm_with_zero_and_negative():
    assert lcm(0, 7) == 0
    assert lcm(0, 0) == 0
    assert lcm(-4, 6) == 12


def test_totient_of_composites():
    assert totient(9) == 6
    assert totient(10) == 4


def test_totient_of_small_and_prime():
    assert totient(1) == 1
    assert totient(7) == 6


def test_is_prime_small_numbers():
    assert is_prime(2) is True
    assert is_prime(1) is False
    assert is_prime(4) is False


def test_is_prime_larger_numbers():
    assert is_prime(97) is True
    assert is_prime(25) is False
    assert is_prime(91) is False


def test_primes_up_to_limits():
    assert primes_up_to(10) == [2, 3, 5, 7]
    assert primes_up_to(25) == [2, 3, 5, 7, 11, 13, 17, 19, 23]


def test_primes_up_to_tiny_limits():
    assert primes_up_to(2) == [2]
    assert primes_up_to(1) == []
    assert primes_up_to(0) == []


def test_multiplicity_counts_repeated_factors():
    assert multiplicity(8, 2) == 3
    assert multiplicity(81, 3) == 4
    assert multiplicity(12, 3) == 1


def test_multiplicity_without_factor():
    assert multiplicity(7, 2) == 0
    assert multiplicity(1, 2) == 0


def test_prime_factors_of_composites():
    assert prime_factors(12) == [2, 2, 3]
    assert prime_factors(9) == [3, 3]
    assert prime_factors(360) == [2, 2, 2, 3, 3, 5]


def test_prime_factors_of_primes():
    assert prime_factors(7) == [7]
    assert prime_factors(2) == [2]
    assert prime_factors(26) == [2, 13]


def test_divisors_of_composites():
    assert divisors(12) == [1, 2, 3, 4, 6, 12]
    assert divisors(16) == [1, 2, 4, 8, 16]


def test_divisors_of_one_and_prime():
    assert divisors(1) == [1]
    assert divisors(13) == [1, 13]
