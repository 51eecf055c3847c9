"""Routes are adapters: parse, call one service inside the request's transaction, render."""
