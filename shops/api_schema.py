"""The OpenAPI 3.1 document of the inventory API, kept beside the views it describes."""

from . import catalogue_files

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["message"],
            },
        },
    },
}

PRODUCT_IN = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "sku": {"type": "string", "maxLength": 64},
        "title": {"type": "string", "minLength": 1, "maxLength": 200},
        "price": {"type": ["string", "number"], "description": "In the node's currency."},
        "vat_rate": {"type": ["string", "number"]},
        "unit": {"type": "string", "enum": ["piece", "kg", "litre", "hour"]},
        "stock_quantity": {
            "type": ["string", "number"],
            "description": (
                "Available to sell, not counting goods set aside for open orders. To send a "
                "shelf count, use POST /stock with set."
            ),
        },
        "always_available": {"type": "boolean"},
        "quantity_step": {"type": ["string", "number", "null"]},
        "weight_kg": {"type": ["string", "number", "null"]},
        "volume_litres": {"type": ["string", "number", "null"]},
        "category": {"type": ["string", "null"], "description": "A category path: food/dairy"},
        "labels": {"type": "array", "items": {"type": "string"}},
        "is_active": {"type": "boolean"},
        "description": {"type": "string"},
    },
}

PRODUCT_OUT = {
    "type": "object",
    "required": ["sku", "title", "price", "currency", "unit", "stock_quantity", "updated_at"],
    "properties": {
        **{
            name: {"type": ["string", "number", "boolean", "array", "null"]}
            for name in catalogue_files.COLUMNS
        },
        "currency": {"type": "string"},
        "allocated_quantity": {
            "type": "string",
            "description": "Set aside for open orders, still in the shop; read only.",
        },
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

PLAIN_NUMBER = {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$"}
STOCK_LEVEL = {
    "type": "object",
    "required": ["sku", "on_hand", "allocated", "available", "stock_quantity"],
    "properties": {
        "sku": {"type": "string"},
        "on_hand": {**PLAIN_NUMBER, "description": "In the shop: available + allocated."},
        "allocated": {**PLAIN_NUMBER, "description": "Set aside for open orders."},
        "available": {**PLAIN_NUMBER, "description": "For sale: max(count − allocated, 0)."},
        "stock_quantity": {**PLAIN_NUMBER, "description": "The same as available."},
    },
}


def _errors(*codes):
    descriptions = {
        "400": "What to fix; nothing was changed.",
        "401": "Missing, unknown or revoked token.",
        "403": "The token belongs to another shop.",
        "405": "Method not allowed here.",
        "429": "Too many requests for this token this minute.",
    }
    return {
        code: {
            "description": descriptions[code],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


SHOP_ID = {"name": "shop_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def openapi_document(server: str) -> dict:
    common = ("401", "403", "429")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Commonplace inventory API",
            "version": "1",
            "description": (
                "For tills and inventory systems of one shop. Make a token in the shop's "
                "dashboard (API tokens) and send it as `Authorization: Bearer <token>`. "
                "Batches are all-or-nothing: one bad product and nothing is saved."
            ),
        },
        "servers": [{"url": server.rstrip("/")}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "ProductIn": PRODUCT_IN, "Product": PRODUCT_OUT},
        },
        "security": [{"token": []}],
        "paths": {
            "/api/v1/shops/{shop_id}/products": {
                "get": {
                    "summary": "List products, oldest first, 100 a page",
                    "operationId": "listProducts",
                    "parameters": [
                        SHOP_ID,
                        {
                            "name": "updated_since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "string", "pattern": "^[0-9]+$"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of products and the next page's address.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["results", "next"],
                                        "properties": {
                                            "results": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Product"},
                                            },
                                            "next": {"type": ["string", "null"]},
                                        },
                                    }
                                }
                            },
                        },
                        **_errors("400", *common),
                    },
                }
            },
            "/api/v1/shops/{shop_id}/products/{sku}": {
                "put": {
                    "summary": "Create or update one product by SKU",
                    "operationId": "putProduct",
                    "parameters": [
                        SHOP_ID,
                        {
                            "name": "sku",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 64},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ProductIn"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Updated",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Product"}
                                }
                            },
                        },
                        "201": {
                            "description": "Created",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Product"}
                                }
                            },
                        },
                        **_errors("400", *common),
                    },
                }
            },
            "/api/v1/shops/{shop_id}/products/batch": {
                "post": {
                    "summary": "Create or update up to 1000 products by SKU, all or nothing",
                    "operationId": "batchProducts",
                    "parameters": [SHOP_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["products"],
                                    "properties": {
                                        "products": {
                                            "type": "array",
                                            "maxItems": 1000,
                                            "items": {"$ref": "#/components/schemas/ProductIn"},
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Counts",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "created": {"type": "integer"},
                                            "updated": {"type": "integer"},
                                            "unchanged": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        **_errors("400", *common),
                    },
                }
            },
            "/api/v1/shops/{shop_id}/stock": {
                "post": {
                    "summary": "Count stock (set) or change it (delta) for many SKUs at once",
                    "description": (
                        "`set` is a shelf count of everything on hand, goods set aside for "
                        "open orders included: what is available to sell becomes "
                        "max(set − allocated, 0). `delta` changes what is available, e.g. -2 "
                        "for two sold over the counter. All or nothing."
                    ),
                    "operationId": "changeStock",
                    "parameters": [SHOP_ID],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["changes"],
                                    "properties": {
                                        "changes": {
                                            "type": "array",
                                            "maxItems": 1000,
                                            "items": {
                                                "type": "object",
                                                "required": ["sku"],
                                                "properties": {
                                                    "sku": {"type": "string"},
                                                    "set": {"type": ["number", "string"]},
                                                    "delta": {"type": ["number", "string"]},
                                                },
                                            },
                                        }
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The new stock levels by SKU",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["stock"],
                                        "properties": {
                                            "stock": {"type": "array", "items": STOCK_LEVEL}
                                        },
                                    }
                                }
                            },
                        },
                        **_errors("400", *common),
                    },
                }
            },
            "/api/v1/shops/{shop_id}/orders": {
                "get": {
                    "summary": "Orders since a time (default: the last day), at most 500",
                    "operationId": "listOrders",
                    "parameters": [
                        SHOP_ID,
                        {
                            "name": "since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "Orders",
                            "content": {
                                "application/json": {
                                    "schema": {"type": "object", "required": ["results"]}
                                }
                            },
                        },
                        **_errors("400", *common),
                    },
                }
            },
        },
    }
