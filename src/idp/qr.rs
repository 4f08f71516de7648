//! A QR code of a few hundred bytes, as the authenticator's setup shows it (ISO/IEC 18004): byte
//! mode, the smallest version that holds the text at error correction level M, the level raised
//! to Q or H when that still fits, and the mask with the lowest penalty. It draws what Nayuki's
//! `qrcodegen` draws for the same text (the tests compare them module by module); written here
//! because that library, with every mode and level and its checks, cost the page 0.9 kB gzip
//! more.

/// Error correction codewords per block, for versions 1 to 40, at levels M, Q and H.
const ECC_PER_BLOCK: [[u8; 40]; 3] = [
    [
        10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28,
        28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
    ],
    [
        13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30,
        30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ],
    [
        17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30,
        30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
    ],
];

/// Error correction blocks, for versions 1 to 40, at levels M, Q and H.
const BLOCKS: [[u8; 40]; 3] = [
    [
        1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23,
        25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
    ],
    [
        1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29,
        34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
    ],
    [
        1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35,
        37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
    ],
];

/// The levels' two bits in the format information (M, Q, H).
const LEVEL_BITS: [usize; 3] = [0, 3, 2];

/// A module's bits in [`QrCode`]'s grid.
const DARK: u8 = 1;
/// Part of a finder, timing or alignment pattern or of the format or version information:
/// neither data nor masked.
const FUNCTION: u8 = 2;

/// A QR code: `size` × `size` modules, row by row.
pub struct QrCode {
    /// Modules per side (17 + 4 × version).
    pub size: usize,
    grid: Vec<u8>,
}

impl QrCode {
    /// Whether the module at column `x`, row `y` is dark.
    pub fn dark(&self, x: usize, y: usize) -> bool {
        self.grid[y * self.size + x] & DARK != 0
    }

    fn set(&mut self, x: usize, y: usize, dark: bool) {
        self.grid[y * self.size + x] = FUNCTION | u8::from(dark);
    }

    /// A finder pattern and its light separator, centred on (`x`, `y`), clipped to the code.
    fn finder(&mut self, x: usize, y: usize) {
        for dy in 0..9usize {
            for dx in 0..9usize {
                let (xx, yy) = ((x + dx).wrapping_sub(4), (y + dy).wrapping_sub(4));
                if xx < self.size && yy < self.size {
                    let ring = dx.abs_diff(4).max(dy.abs_diff(4));
                    self.set(xx, yy, ring != 2 && ring != 4);
                }
            }
        }
    }

    /// The format information: `level`'s and `mask`'s bits, with their BCH code, twice.
    fn format(&mut self, level: usize, mask: usize) {
        let data = LEVEL_BITS[level] << 3 | mask;
        let bits = (data << 10 | bch(data, 10, 0x537)) ^ 0x5412;
        let bit = |i: usize| bits >> i & 1 != 0;
        let last = self.size - 1;
        for i in 0..15 {
            // Around the top-left finder, skipping the timing patterns' row and column.
            let (x, y) = match i {
                0..6 => (8, i),
                6..8 => (8, i + 1),
                8 => (7, 8),
                _ => (14 - i, 8),
            };
            self.set(x, y, bit(i));
            // Beside the top-right and bottom-left finders.
            let (x, y) = if i < 8 {
                (last - i, 8)
            } else {
                (8, last - 14 + i)
            };
            self.set(x, y, bit(i));
        }
        self.set(8, self.size - 8, true);
    }

    /// The grid's penalty for the mask choice: runs of five or more, 2 × 2 blocks of one colour,
    /// finder-like runs, and the balance of dark and light.
    fn penalty(&self) -> usize {
        let size = self.size;
        let mut penalty = 0;
        for line in 0..size {
            // The row `line`, then the column.
            penalty += self.line_penalty(line * size, 1) + self.line_penalty(line, size);
        }
        for y in 1..size {
            for x in 1..size {
                let colour = self.dark(x, y);
                if colour == self.dark(x - 1, y)
                    && colour == self.dark(x, y - 1)
                    && colour == self.dark(x - 1, y - 1)
                {
                    penalty += 3;
                }
            }
        }
        let dark = self
            .grid
            .iter()
            .filter(|&&module| module & DARK != 0)
            .count();
        let total = size * size;
        // The smallest k with (45 - 5k)% <= dark <= (55 + 5k)%.
        // (Never exactly half: `total` is odd.)
        penalty + 10 * ((dark * 20).abs_diff(total * 10).div_ceil(total) - 1)
    }

    /// One row or column's penalty for runs and finder-like patterns: the modules from `start`,
    /// `step` apart, with the light border counted around them.
    fn line_penalty(&self, start: usize, step: usize) -> usize {
        let size = self.size;
        let mut penalty = 0;
        // The lengths of the last seven runs, newest first (starting on a light run).
        let mut runs = [0; 7];
        let mut colour = false;
        let mut run = 0;
        let push = |runs: &mut [usize; 7], length: usize| {
            runs.copy_within(0..6, 1);
            // The first run takes in the light border before the line.
            runs[0] = length + if runs[1] == 0 { size } else { 0 };
        };
        // After a light run: whether the runs before it are 1:1:3:1:1, light on each side.
        let finder_like = |runs: &[usize; 7]| {
            let n = runs[1];
            let core = n > 0 && runs[2] == n && runs[3] == n * 3 && runs[4] == n && runs[5] == n;
            usize::from(core && runs[0] >= n * 4 && runs[6] >= n)
                + usize::from(core && runs[6] >= n * 4 && runs[0] >= n)
        };
        for i in 0..size {
            let dark = self.grid[start + i * step] & DARK != 0;
            if dark == colour {
                run += 1;
                penalty += match run {
                    5 => 3,
                    6.. => 1,
                    _ => 0,
                };
            } else {
                push(&mut runs, run);
                if !colour {
                    penalty += 40 * finder_like(&runs);
                }
                colour = dark;
                run = 1;
            }
        }
        if colour {
            push(&mut runs, run);
            run = 0;
        }
        push(&mut runs, run + size);
        penalty + 40 * finder_like(&runs)
    }
}

/// Whether mask `mask` flips the data module at (`x`, `y`).
fn masked(mask: usize, x: usize, y: usize) -> bool {
    match mask {
        0 => (x + y).is_multiple_of(2),
        1 => y.is_multiple_of(2),
        2 => x.is_multiple_of(3),
        3 => (x + y).is_multiple_of(3),
        4 => (x / 3 + y / 2).is_multiple_of(2),
        5 => x * y % 2 + x * y % 3 == 0,
        6 => (x * y % 2 + x * y % 3).is_multiple_of(2),
        _ => ((x + y) % 2 + x * y % 3).is_multiple_of(2),
    }
}

/// The `degree`-bit remainder of `data` shifted left by `degree`, divided by `generator`.
fn bch(data: usize, degree: u32, generator: usize) -> usize {
    let mut remainder = data;
    for _ in 0..degree {
        remainder = (remainder << 1) ^ ((remainder >> (degree - 1)) * generator);
    }
    remainder & ((1 << degree) - 1)
}

/// The product of two elements of GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.
fn gf_multiply(x: u8, y: u8) -> u8 {
    let mut product = 0u8;
    for i in (0..8).rev() {
        product = (product << 1) ^ ((product >> 7) * 0x1D);
        product ^= (y >> i & 1) * x;
    }
    product
}

/// Modules left for data and error correction in a code of `version`.
fn raw_modules(version: usize) -> usize {
    let mut modules = (16 * version + 128) * version + 64;
    if version >= 2 {
        let aligns = version / 7 + 2;
        modules -= (25 * aligns - 10) * aligns - 55;
        if version >= 7 {
            modules -= 36;
        }
    }
    modules
}

/// Data codewords in a code of `version` at `level` (0, 1, 2: M, Q, H).
fn data_codewords(version: usize, level: usize) -> usize {
    raw_modules(version) / 8
        - usize::from(ECC_PER_BLOCK[level][version - 1]) * usize::from(BLOCKS[level][version - 1])
}

/// `bytes` in a QR code; `None` when they are too long for one.
pub fn encode(bytes: &[u8]) -> Option<QrCode> {
    // Mode, count (8 bits up to version 9, else 16) and data.
    let bits = |version: usize| 12 + 8 * usize::from(version >= 10) + 8 * bytes.len();
    let version = (1..=40).find(|&version| bits(version) <= data_codewords(version, 0) * 8)?;
    let level = (0..3)
        .rev()
        .find(|&level| bits(version) <= data_codewords(version, level) * 8)?;
    let mut code = QrCode::patterns(version, level);
    let data = data(bytes, version, level);
    code.draw(&with_error_correction(&data, version, level));
    code.choose_mask(level);
    Some(code)
}

/// The data codewords: byte mode, the count, the bytes, a terminator, then padding. The mode and
/// the terminator are four bits each, so every byte of the count and the data straddles two
/// codewords.
fn data(bytes: &[u8], version: usize, level: usize) -> Vec<u8> {
    let capacity = data_codewords(version, level);
    let count = bytes.len().to_be_bytes();
    let count = &count[count.len() - if version < 10 { 1 } else { 2 }..];
    let mut data = Vec::with_capacity(capacity);
    // Byte mode's four bits, 0100.
    let mut nibble = 4;
    for &byte in count.iter().chain(bytes) {
        data.push(nibble << 4 | byte >> 4);
        nibble = byte & 0xF;
    }
    data.push(nibble << 4);
    for pad in [0xEC, 0x11].into_iter().cycle() {
        if data.len() >= capacity {
            break;
        }
        data.push(pad);
    }
    data
}

/// `data` split into blocks, each given its Reed-Solomon codewords, then interleaved: the
/// blocks' data codeword by codeword, then their error correction likewise.
fn with_error_correction(data: &[u8], version: usize, level: usize) -> Vec<u8> {
    let blocks = usize::from(BLOCKS[level][version - 1]);
    let ecc_length = usize::from(ECC_PER_BLOCK[level][version - 1]);
    let raw = raw_modules(version) / 8;
    // The first blocks are one data codeword shorter than the others.
    let short_blocks = blocks - raw % blocks;
    let short_data = raw / blocks - ecc_length;
    let start = |block: usize| block * short_data + block.saturating_sub(short_blocks);
    // The generator polynomial, highest power first without its leading 1.
    let mut divisor = vec![0; ecc_length];
    divisor[ecc_length - 1] = 1;
    let mut root = 1;
    for _ in 0..ecc_length {
        for j in 0..ecc_length {
            divisor[j] = gf_multiply(divisor[j], root) ^ divisor.get(j + 1).copied().unwrap_or(0);
        }
        root = gf_multiply(root, 2);
    }
    let mut ecc = vec![0; blocks * ecc_length];
    for (block, remainder) in ecc.chunks_mut(ecc_length).enumerate() {
        for &byte in &data[start(block)..start(block + 1)] {
            let factor = byte ^ remainder[0];
            remainder.rotate_left(1);
            remainder[ecc_length - 1] = 0;
            for (r, &d) in remainder.iter_mut().zip(&divisor) {
                *r ^= gf_multiply(d, factor);
            }
        }
    }
    let mut codewords = Vec::with_capacity(raw);
    for i in 0..=short_data {
        for block in 0..blocks {
            if i < start(block + 1) - start(block) {
                codewords.push(data[start(block) + i]);
            }
        }
    }
    for i in 0..ecc_length {
        for block in 0..blocks {
            codewords.push(ecc[block * ecc_length + i]);
        }
    }
    codewords
}

impl QrCode {
    /// A code of `version` with only its function patterns: timing, finders, alignment, the
    /// format (for mask 0, until one is chosen) and the version.
    fn patterns(version: usize, level: usize) -> Self {
        let size = version * 4 + 17;
        let mut code = QrCode {
            size,
            grid: vec![0; size * size],
        };
        for i in 0..size {
            code.set(6, i, i % 2 == 0);
            code.set(i, 6, i % 2 == 0);
        }
        code.finder(3, 3);
        code.finder(size - 4, 3);
        code.finder(3, size - 4);
        let aligns = if version == 1 { 0 } else { version / 7 + 2 };
        let step = match version {
            1 => 0,
            32 => 26,
            _ => (version * 4 + aligns * 2 + 1) / (aligns * 2 - 2) * 2,
        };
        let position = |i: usize| {
            if i == 0 {
                6
            } else {
                size - 7 - (aligns - 1 - i) * step
            }
        };
        for i in 0..aligns {
            for j in 0..aligns {
                // Not over the finders.
                if (i == 0 && (j == 0 || j == aligns - 1)) || (i == aligns - 1 && j == 0) {
                    continue;
                }
                for dy in 0..5usize {
                    for dx in 0..5usize {
                        let ring = dx.abs_diff(2).max(dy.abs_diff(2));
                        code.set(position(i) + dx - 2, position(j) + dy - 2, ring != 1);
                    }
                }
            }
        }
        code.format(level, 0);
        if version >= 7 {
            let bits = version << 12 | bch(version, 12, 0x1F25);
            for i in 0..18 {
                let (a, b) = (size - 11 + i % 3, i / 3);
                code.set(a, b, bits >> i & 1 != 0);
                code.set(b, a, bits >> i & 1 != 0);
            }
        }
        code
    }

    /// Draws `codewords` on the data modules, two columns at a time from the right, up then
    /// down, past the timing column; any modules left over stay light.
    fn draw(&mut self, codewords: &[u8]) {
        let size = self.size;
        let mut bit = 0;
        let mut right = size - 1;
        while right >= 1 {
            if right == 6 {
                right = 5;
            }
            let upward = (right + 1) & 2 == 0;
            for vertical in 0..size {
                let y = if upward {
                    size - 1 - vertical
                } else {
                    vertical
                };
                for x in [right, right - 1] {
                    let module = &mut self.grid[y * size + x];
                    if *module & FUNCTION == 0 && bit < codewords.len() * 8 {
                        *module = codewords[bit >> 3] >> (7 - (bit & 7)) & 1;
                        bit += 1;
                    }
                }
            }
            right = right.saturating_sub(2);
        }
    }

    /// Applies the mask with the lowest penalty, the first of them on a tie, and its format.
    fn choose_mask(&mut self, level: usize) {
        let mut best = (usize::MAX, 0);
        for mask in 0..8 {
            self.apply_mask(level, mask);
            best = best.min((self.penalty(), mask));
            // Applying a mask twice takes it off.
            self.apply_mask(level, mask);
        }
        self.apply_mask(level, best.1);
    }

    fn apply_mask(&mut self, level: usize, mask: usize) {
        let size = self.size;
        for y in 0..size {
            for x in 0..size {
                let module = &mut self.grid[y * size + x];
                if *module & FUNCTION == 0 && masked(mask, x, y) {
                    *module ^= DARK;
                }
            }
        }
        self.format(level, mask);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as qrcodegen draws it, row by row.
    fn reference(text: &[u8]) -> Option<(usize, Vec<bool>)> {
        let segments = [qrcodegen::QrSegment::make_bytes(text)];
        let code =
            qrcodegen::QrCode::encode_segments(&segments, qrcodegen::QrCodeEcc::Medium).ok()?;
        let size = code.size();
        let modules = (0..size)
            .flat_map(|y| (0..size).map(move |x| (x, y)))
            .map(|(x, y)| code.get_module(x, y))
            .collect();
        Some((usize::try_from(size).ok()?, modules))
    }

    fn ours(text: &[u8]) -> Option<(usize, Vec<bool>)> {
        let code = encode(text)?;
        let modules = (0..code.size)
            .flat_map(|y| (0..code.size).map(move |x| (x, y)))
            .map(|(x, y)| code.dark(x, y))
            .collect();
        Some((code.size, modules))
    }

    #[test]
    fn every_length_draws_what_qrcodegen_draws() {
        // Every length up to version 40's capacity (and past it), in texts whose bytes vary.
        for length in (0..400).chain((400..2400).step_by(37)) {
            let text: Vec<u8> = (0..length)
                .map(|i| (i * 7 + length * 13) as u8 ^ 0x5A)
                .collect();
            assert!(ours(&text) == reference(&text), "{length} bytes");
        }
    }

    #[test]
    fn key_uris_draw_what_qrcodegen_draws() {
        for account in ["demo", "jane.doe%2B1%40example.com", &"x".repeat(200)] {
            let uri = format!(
                "otpauth://totp/cognito-spa:{account}?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=cognito-spa"
            );
            assert!(ours(uri.as_bytes()) == reference(uri.as_bytes()), "{uri}");
        }
    }

    #[test]
    fn too_long_for_a_qr_code_is_none() {
        assert!(
            encode(&[b'x'; 2331]).is_some(),
            "version 40-M holds 2331 bytes"
        );
        assert!(encode(&[b'x'; 2332]).is_none());
    }
}
