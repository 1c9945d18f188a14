# Cart, checkout, orders and payments arrive with the checkout issue.
