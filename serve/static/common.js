// What both pages share, / (tag a report) and /compare (two years side by side): the words of both languages
// (Chinese by default; the English switch is remembered in localStorage for both pages), the area names, and the
// small helpers. Each page loads this first (served from /static/common.js, which the CSP's script-src 'self'
// allows) and adds its own words to STRINGS.
"use strict";
const LANG_KEY = "fazhi.lang";
const CATEGORIES = ["decision", "enforcement", "dispute", "disclosure", "supervision", "other"];
const AREA_NAMES = {decision: "依法决策", enforcement: "行政执法", dispute: "矛盾纠纷化解",
                    disclosure: "政务公开", supervision: "行政权力制约和监督", other: "其他"};
const AREA_NAMES_EN = {decision: "decision-making", enforcement: "enforcement", dispute: "dispute resolution",
                       disclosure: "disclosure", supervision: "supervision", other: "other"};
const STRINGS = {
  nav_tag: {zh: "逐句标注", en: "Tag a report"},
  nav_compare: {zh: "年度对比", en: "Compare years"},
  nav_docs: {zh: "接口文档", en: "API docs"},
  col_area: {zh: "领域", en: "area"},
  legend_problem: {zh: "问题陈述", en: "problem statement"},
  open_file: {zh: "或打开文件（.docx、.pdf、.html、.txt）：", en: "or open a file (.docx, .pdf, .html, .txt): "},
  reading: {zh: "正在读取 {name}…", en: "Reading {name}…"},
  loaded: {zh: "已读取 {name}（{chars} 个字符）", en: "Read {name} ({chars} characters)"},
  wrong_type: {zh: "{name}：只能打开 .docx、.pdf、.html、.htm 或 .txt 文件", en: "{name}: only .docx, .pdf, .html, .htm and .txt files can be opened"},
  unreachable: {zh: "无法连接服务器：{msg}", en: "The server could not be reached: {msg}"},
  model: {zh: "模型：{name}", en: "model: {name}"},
};
// The report files the server reads (an upload to /v1/analyze or /v1/read) with the readers of `fazhi tag`.
const SUFFIXES = /\.(docx|pdf|html?|txt)$/i;

function lang() { try { return localStorage.getItem(LANG_KEY) === "en" ? "en" : "zh"; } catch (e) { return "zh"; } }
function t(key, params) {
  let s = (STRINGS[key] || {})[lang()] || key;
  for (const [k, v] of Object.entries(params || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}
const areaName = (c) => (lang() === "zh" ? AREA_NAMES[c] : AREA_NAMES_EN[c]) || c;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "className") node.className = v; else if (k === "dataset") Object.assign(node.dataset, v); else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}
function setError(message) { $("error").textContent = message || ""; }
function setStatus(message) { $("status").textContent = message || ""; }

// The page's fixed words in the current language: every data-i18n text, placeholder and title, the page's title
// and the switch's own label (the other language's name).
function applyWords() {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-i18n]").forEach((n) => { n.textContent = t(n.dataset.i18n); });
  document.querySelectorAll("[data-i18n-placeholder]").forEach((n) => { n.placeholder = t(n.dataset.i18nPlaceholder); });
  document.querySelectorAll("[data-i18n-title]").forEach((n) => { n.title = t(n.dataset.i18nTitle); });
  document.title = t("page_title");
  $("lang").textContent = lang() === "zh" ? "English" : "中文";
}
// The switch flips the language, remembers it, and has the page redraw in it.
function wireLanguageSwitch(redraw) {
  $("lang").addEventListener("click", () => {
    try { localStorage.setItem(LANG_KEY, lang() === "zh" ? "en" : "zh"); } catch (e) { /* private mode: this visit only */ }
    redraw();
  });
}

// A drop zone and a file input that hand a report file, dropped or chosen, to open(file) (the same file may be
// chosen again).
function wireFileDrop(drop, input, open) {
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) open(e.dataTransfer.files[0]);
  });
  input.addEventListener("change", (e) => { open(e.target.files[0]); e.target.value = ""; });
}

// A response's JSON; an error answer ({error, error_type}, or a body that is not JSON) is thrown as an Error whose
// message the page shows as it is (api: true), unlike a server that cannot be reached (t("unreachable")).
async function answerOf(response) {
  let data;
  try { data = await response.json(); } catch (e) { data = {error: `HTTP ${response.status}`, error_type: "http_error"}; }
  if (!response.ok) throw Object.assign(new Error(`${data.error} (${data.error_type || response.status})`), {api: true});
  return data;
}
// The message of an error thrown while talking to the server.
const failure = (e) => (e.api ? e.message : t("unreachable", {msg: e.message}));
