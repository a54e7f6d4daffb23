"""Agent access: the MCP server (tools, resources, auth) and the function-calling tool."""
