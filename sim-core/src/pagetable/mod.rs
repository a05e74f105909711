//! I/O page tables: the formats (VT-d second stage, AMD v1, Arm LPAE) and a radix tree that really maps, unmaps and walks.
