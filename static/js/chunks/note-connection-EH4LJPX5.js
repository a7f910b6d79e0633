import{a as o}from"./chunk-5V2YUTCG.js";import"./chunk-MR2SPORM.js";export{o as io};
