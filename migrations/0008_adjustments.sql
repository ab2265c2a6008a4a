-- Adjusted prices are computed on read from the stored raw bars and corporate actions (splits,
-- dividends; migration 0007), so a newly recorded action changes every read at once without
-- rewriting a bar. A bar's factor is the product of the factors of the actions after its date:
-- PostgreSQL has no product aggregate, and one over NUMERIC keeps it exact.
CREATE AGGREGATE numeric_product(numeric) (SFUNC = numeric_mul, STYPE = numeric, INITCOND = '1');
