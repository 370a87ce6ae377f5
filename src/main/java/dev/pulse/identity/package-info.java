/** Identity: who a connection belongs to (container principal or signed token), and minting tokens. */
package dev.pulse.identity;
