"""The payment participant: authorizes, voids and captures an order's payment, and opens
customers' accounts."""
