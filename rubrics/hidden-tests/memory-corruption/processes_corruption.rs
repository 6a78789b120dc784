//! Hidden tests of memory-corruption's processes program: `corrupt_array_outside(array, part)`
//! negates every element of `array` whose index is outside `part`, whatever the part and
//! whatever the values. The program itself cannot show it (worker 0 corrupts its own copy, and
//! the sum stays right), and it only ever passes the first part of an array of positive
//! numbers. Compiled into `memory_corruption_processes` as a module of its own.

use super::corrupt_array_outside;

#[test]
fn negates_every_element_outside_the_part() {
    let mut array = [1, 2, 3, 4, 5, 6];
    corrupt_array_outside(&mut array, &(2..4));
    assert_eq!(
        array,
        [-1, -2, 3, 4, -5, -6],
        "corrupt_array_outside(&mut [1, 2, 3, 4, 5, 6], &(2..4)) must negate indexes 0, 1, 4 and 5"
    );
}

#[test]
fn negates_negative_elements_and_zero_too() {
    let mut array = [7, -3, 0, -8];
    corrupt_array_outside(&mut array, &(0..1));
    assert_eq!(
        array,
        [7, 3, 0, 8],
        "corrupt_array_outside(&mut [7, -3, 0, -8], &(0..1)) must negate indexes 1, 2 and 3"
    );
}
