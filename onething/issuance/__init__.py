"""统一发证 (unified issuance): results and e-licences collected on the case, the result
notice, one download of everything, delivery by window pickup or mail, and registration of
issued e-licences back into the data hub."""
