import{a as o}from"./chunk-ZWMMFR5R.js";import"./chunk-MR2SPORM.js";export{o as io};
