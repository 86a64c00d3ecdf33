-- A scripted Neovim session with `tfdetlint server`: open a file, wait for the diagnostics, ask
-- for the code actions on the first TFD101, apply its fix as Neovim applies any workspace edit,
-- wait for the re-published diagnostics, then write what happened as JSON.
--
--   TFDETLINT_NVIM_FILE=train.py TFDETLINT_NVIM_OUT=out.json \
--     nvim --headless --clean -c "luafile tests/server/neovim_session.lua"
--
-- TFDETLINT_NVIM_CMD (JSON list) overrides the server command (default: tfdetlint server).
-- Works with Neovim 0.7 (vim.lsp.start_client) and 0.8+ (vim.lsp.start).

local file = assert(os.getenv("TFDETLINT_NVIM_FILE"), "TFDETLINT_NVIM_FILE is not set")
local out = assert(os.getenv("TFDETLINT_NVIM_OUT"), "TFDETLINT_NVIM_OUT is not set")
local cmd = { "tfdetlint", "server" }
if os.getenv("TFDETLINT_NVIM_CMD") then
  cmd = vim.json.decode(os.getenv("TFDETLINT_NVIM_CMD"))
end
local report = { nvim = tostring(vim.version().major) .. "." .. vim.version().minor .. "." .. vim.version().patch }

local function finish()
  local handle = assert(io.open(out, "w"))
  handle:write(vim.json.encode(report))
  handle:close()
  vim.cmd("qa!")
end

local function code_of(d)
  if d.code then
    return d.code
  end
  local lsp = d.user_data and d.user_data.lsp
  return lsp and lsp.code or nil
end

local function diagnostics(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, { code = code_of(d), line = d.lnum, col = d.col, severity = d.severity,
                          source = d.source, message = d.message })
  end
  table.sort(found, function(a, b) return a.line * 1000 + a.col < b.line * 1000 + b.col end)
  return found
end

local function has(bufnr, code)
  for _, d in ipairs(diagnostics(bufnr)) do
    if d.code == code then
      return d
    end
  end
  return nil
end

vim.cmd("edit " .. vim.fn.fnameescape(file))
local bufnr = vim.api.nvim_get_current_buf()
local config = { name = "tfdetlint", cmd = cmd, root_dir = vim.fn.fnamemodify(file, ":p:h") }
local started = vim.loop.hrtime()
if vim.lsp.start then
  report.client = vim.lsp.start(config)
else
  report.client = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(bufnr, report.client)
end

report.got_diagnostics = vim.wait(60000, function() return #vim.diagnostic.get(bufnr) > 0 end, 50)
report.first_diagnostics_ms = math.floor((vim.loop.hrtime() - started) / 1e6)
report.before = diagnostics(bufnr)
local target = has(bufnr, "TFD101")
if not target then
  return finish()
end

vim.api.nvim_win_set_cursor(0, { target.line + 1, target.col })
local params = vim.lsp.util.make_range_params()
params.context = { diagnostics = {} }
local responses = vim.lsp.buf_request_sync(bufnr, "textDocument/codeAction", params, 60000) or {}
report.actions = {}
local chosen
for _, response in pairs(responses) do
  for _, action in ipairs(response.result or {}) do
    table.insert(report.actions, { title = action.title, kind = action.kind, preferred = action.isPreferred })
    if not chosen and action.title:find("^Fix TFD101") then
      chosen = action
    end
  end
end
if not chosen then
  return finish()
end

local client = vim.lsp.get_client_by_id(report.client)
vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding or "utf-16")
report.applied = chosen.title
report.cleared = vim.wait(60000, function() return not has(bufnr, "TFD101") end, 50)
report.after = diagnostics(bufnr)
report.lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
finish()
