/* placeholder: test packet helpers, being written */
