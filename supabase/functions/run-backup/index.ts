Deno.serve(() => Response.json({ error: { code: "NOT_IMPLEMENTED" } }, { status: 501 }));
