"""The official forms of Hướng dẫn 43-HD/BTCTW, pre-filled: the self-reviews 2A / 2B / 2C
with their task annex and quarters (Mẫu 05), the collective's Mẫu 01, the re-rating decision
Mẫu 03 and the dossier index Mẫu 04. Each module builds a body from selectors; `render`
wraps it in the official document and makes the PDF through reports.pdf."""
